import Foundation
import Testing
import TestSupport

/// `frugal run --trace` under mpirun: the measured trace is the simulated twin's format — one
/// process per rank with compute and communication threads, well-formed events that do not
/// overlap on a thread, and only names the simulated job program has.
@Suite(.serialized) struct TraceRecorderTests {
    /// A batch task (its items are `pool` spans) after a GEMM task.
    static let batchJob = """
        name = "traced-batch"
        seed = 5

        [[tasks]]
        kind = "gemm"
        name = "g"
        m = 64
        n = 48
        k = 32
        repeat = 2
        sharding = "grid"

        [[tasks]]
        kind = "batch"
        name = "b"
        policy = "dynamic"
        [tasks.generate]
        count = 9
        minSize = 8
        maxSize = 48
        skew = 1.0
        """

    /// A trace file's X events and its metadata, parsed with `JSONSerialization`.
    struct ParsedTrace {
        var events: [[String: Any]] = []
        var processNames: [Int: String] = [:]
        var threadNames: [Int: [Int: String]] = [:]

        init(path: String) throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let all = try #require(document["traceEvents"] as? [[String: Any]])
            for event in all {
                let pid = try #require(event["pid"] as? Int)
                switch event["ph"] as? String {
                case "X": events.append(event)
                case "M":
                    let name = (event["args"] as? [String: Any])?["name"] as? String
                    if event["name"] as? String == "process_name" { processNames[pid] = name }
                    if event["name"] as? String == "thread_name", let tid = event["tid"] as? Int { threadNames[pid, default: [:]][tid] = name }
                default: Issue.record("unexpected event \(event)")
                }
            }
        }

        var names: Set<String> { Set(events.compactMap { $0["name"] as? String }) }
    }

    /// The measured and simulated traces of `job` on 2 ranks.
    func traces(of job: String) throws -> (measured: ParsedTrace, simulated: ParsedTrace) {
        let directory = MPIRunner.temporaryDirectory()
        let measuredPath = directory + "/run.json", simulatedPath = directory + "/sim.json"
        let run = try MPIRunner.run(ranks: 2, ["run", job, "--trace", measuredPath])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("trace: \(measuredPath)"))
        let simulate = try MPIRunner.run(ranks: nil, ["simulate", "--cluster", "h800-2048", "--job", job, "--ranks", "2",
                                                      "--trace", simulatedPath])
        #expect(simulate.status == 0, "\(simulate.standardError)")
        return (try ParsedTrace(path: measuredPath), try ParsedTrace(path: simulatedPath))
    }

    /// moe-layer.toml with the backward pass, 2 steps.
    static func moeBackwardJob() throws -> String {
        let layer = try String(contentsOf: MPIRunner.packageRoot.appendingPathComponent("Cluster/jobs/moe-layer.toml"), encoding: .utf8)
        return layer.replacingOccurrences(of: "steps = 4", with: "steps = 2\nbackward = true")
    }

    /// A train task of tiny-moe on two pipeline stages (ZB-H1: forward, backward and weight ops).
    static let trainJob = """
        name = "train-trace"
        seed = 3

        [[tasks]]
        kind = "train"
        name = "tiny"
        model = "\(MPIRunner.packageRoot.path)/Cluster/models/tiny-moe.toml"
        steps = 2
        sequenceLength = 16
        globalBatch = 4
        learningRate = 3e-3
        pp = 2
        schedule = "zb1p"
        """

    @Test(arguments: ["Cluster/jobs/demo.toml", "Cluster/jobs/moe-layer.toml", "batch", "moe-backward", "train"])
    func theMeasuredTraceReadsBesideTheSimulatedTwin(job: String) throws {
        let path = switch job {
        case "batch": MPIRunner.writeJob(Self.batchJob).path
        case "moe-backward": MPIRunner.writeJob(try Self.moeBackwardJob()).path
        case "train": MPIRunner.writeJob(Self.trainJob).path
        default: job
        }
        let (measured, simulated) = try traces(of: path)
        for trace in [measured, simulated] {
            #expect(trace.processNames == [0: "rank 0", 1: "rank 1"])
            #expect(trace.threadNames == [0: [0: "compute", 1: "communication"], 1: [0: "compute", 1: "communication"]])
        }
        #expect(!measured.events.isEmpty)
        var byThread: [[Int]: [(start: Double, end: Double)]] = [:]
        for event in measured.events {
            let ts = try #require(event["ts"] as? Double), dur = try #require(event["dur"] as? Double)
            #expect(ts >= 0 && dur >= 0, "\(event)")
            let pid = try #require(event["pid"] as? Int), tid = try #require(event["tid"] as? Int)
            byThread[[pid, tid], default: []].append((ts, ts + dur))
        }
        #expect(Set(byThread.keys.map { $0[0] }) == [0, 1], "every rank has spans")
        for (thread, spans) in byThread {
            let ordered = spans.sorted { $0.start < $1.start }
            for (earlier, later) in zip(ordered, ordered.dropFirst()) {
                // One nanosecond of slack: the text keeps three decimals of microseconds.
                #expect(later.start >= earlier.end - 0.0011, "overlap on \(thread): \(earlier) then \(later)")
            }
        }
        #expect(measured.names.isSubset(of: simulated.names), "measured \(measured.names), simulated \(simulated.names)")
        if job == "batch" { #expect(measured.names == ["collective", "F", "pool"]) }
        if job == "moe-backward" { #expect(measured.names == ["F", "dispatch", "combine", "dispatch-bwd", "B", "combine-bwd"]) }
        if job == "train" {
            // Every op of the program, named as the simulator names it: chain ops with their micro-batch.
            let chains = Set((0..<4).flatMap { mb in ["F", "B", "W"].map { "\($0) mb\(mb)" } })
            #expect(measured.names == chains.union(["optimizer"]), "\(measured.names.sorted())")
            #expect(measured.names == simulated.names, "simulated \(simulated.names.sorted())")
        }
    }

    /// Past the limit a rank keeps its first spans and rank 0 says how many were not recorded.
    @Test func spansPastTheLimitAreCountedNotKept() throws {
        let path = MPIRunner.temporaryDirectory() + "/run.json"
        let outcome = try MPIRunner.run(ranks: 2, ["run", "Cluster/jobs/demo.toml", "--trace", path, "--trace-event-limit", "10"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        // demo.toml's first task alone has 3 spans per repetition on each rank, 10 repetitions.
        #expect(outcome.standardError.contains("span(s) past the limit of 5 per rank were not recorded"), "\(outcome.standardError)")
        let trace = try ParsedTrace(path: path)
        #expect(trace.events.count == 10)
        #expect(Set(trace.events.compactMap { $0["pid"] as? Int }) == [0, 1])
        #expect(trace.events.allSatisfy { ($0["args"] as? [String: Any])?["task"] as? String == "rows-512" })
        let refused = try MPIRunner.run(ranks: nil, ["run", "Cluster/jobs/demo.toml", "--trace", path, "--trace-event-limit", "0"])
        #expect(refused.status == 2 && refused.standardError.contains("--trace-event-limit"), "\(refused.standardError)")
    }

    @Test func aTracePathThatCannotBeWrittenFailsBeforeTheRun() throws {
        let missing = MPIRunner.temporaryDirectory() + "/no-such-folder/run.json"
        let outcome = try MPIRunner.run(ranks: 2, ["run", "Cluster/jobs/demo.toml", "--trace", missing])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("--trace"), "\(outcome.standardError)")
        #expect(!outcome.standardOutput.contains("rows-512"), "no task ran: \(outcome.standardOutput)")
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}
