import ArgumentParser
import Experiments
import Foundation
import Hardware
import Reports
import Simulator

extension Frugal {
    /// `frugal sweep`: scaling curves, measured (mpirun at several rank counts) or simulated.
    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a job at several rank counts (or simulate over chips, chip types, links), all into one results folder.",
            discussion: """
            Measured: runs `mpirun -np R frugal run JOB` for each R in --ranks, --repeat
            times each. Strong scaling keeps the job as it is; weak scaling multiplies
            every task's m (rows) by R in a derived job file (points/<id>/job.toml).
            Points with more ranks than cores run with --oversubscribe and are marked
            oversubscribed in every output.

            Simulated (--simulate): runs `frugal simulate --cluster C --model M
            --parallel P [--schedule S] --format json [--set K=V ...]` for every cluster
            file, parallel configuration, chip count and what-if variant. With --chips,
            dp becomes chips / (tp*pp) and a copy of the cluster file resized to that
            many chips is simulated. --parallel plan instead runs `frugal plan` at each
            chip count and keeps its best configuration (the scaling curve of the best
            plan per count); --simulate-option words then go to `frugal plan`.

            Output: OUT/sweep.jsonl (one entry per point) and OUT/points/<id>/
            (results.jsonl or simulation.json, log.txt, and the done.json marker once
            complete). Rerunning a sweep skips finished points. Then: frugal report OUT.

            Examples:
              frugal sweep Cluster/jobs/demo.toml --ranks 1,2,4 --repeat 3 --out sweep/
              frugal sweep Cluster/jobs/demo.toml --ranks 1,2 --scaling weak --out sweep/
              frugal sweep --simulate --cluster Cluster/clusters/h800-2048.toml \\
                --model Cluster/models/deepseek-v3.toml --parallel pp=16,ep=64 \\
                --chips 1024,2048,4096 --schedule dualpipe \\
                --what-if as-is --what-if nvlink=900GB/s --out sweep/
              frugal sweep --simulate --cluster Cluster/clusters/h800-2048.toml \\
                --model Cluster/models/deepseek-v3.toml --parallel plan \\
                --chips 256,1024,4096,16384 --out sweep/

            Exit status: 0 every point finished, 1 some point failed (rerun to retry
            it), 2 bad options or a missing file (nothing ran).
            """)

        @Argument(help: "The job file (measured sweeps).")
        var job: String?

        @Option(help: "Folder for the sweep's results (created if missing; shared by reruns and further sweeps).")
        var out: String

        @Option(help: "Rank counts, comma-separated (measured), e.g. 1,2,4.")
        var ranks: String = "1,2"

        @Option(help: "strong (fixed problem) or weak (m grows with the ranks).")
        var scaling: SweepPoint.Scaling = .strong

        @Option(name: .customLong("repeat"), help: "Runs per rank count (measured).")
        var repeatCount: Int = 1

        @Flag(help: "Simulate instead of measuring (needs the `simulate` subcommand).")
        var simulate = false

        @Option(help: "Cluster files, comma-separated or repeated (simulated): one chip type each.")
        var cluster: [String] = []

        @Option(help: "Model file (simulated), e.g. Cluster/models/deepseek-v3.toml.")
        var model: String?

        @Option(help: "Chip counts, comma-separated (simulated); dp becomes chips / (tp·pp).")
        var chips: String?

        @Option(help: "A parallel configuration, e.g. pp=16,ep=64,dp=128 (simulated; repeat for several), or `plan`: the best configuration `frugal plan` finds at each chip count.")
        var parallel: [String] = []

        @Option(help: "Pipeline schedule passed to the simulator, e.g. dualpipe.")
        var schedule: String?

        @Option(name: .customLong("what-if"),
                help: "A what-if variant: comma-separated key=value settings passed as --set (e.g. nvlink=900GB/s,scaleout=50GB/s); `as-is` for the cluster file unchanged. Repeat for several.")
        var whatIf: [String] = []

        @Option(name: .customLong("simulate-option"), parsing: .unconditionalSingleValue,
                help: "An argument passed unchanged to every `frugal simulate` call, and to `frugal plan` for --parallel plan (repeat for several).")
        var simulateOptions: [String] = []

        @Option(help: ArgumentHelp("Run `PATH simulate …` instead of this executable's `simulate` (another build, or a stand-in).", visibility: .hidden))
        var simulator: String?

        /// Most ranks of a measured point (processes mpirun starts on this machine or its hosts),
        /// runs per point, and chips of a simulated point.
        static let maxRanks = 1024
        static let maxRepeat = 1000
        static let maxChips = TrainingSimulator.Limits.stepWorkUnits

        static func integers(_ text: String, upTo limit: Int = Int.max) -> [Int]? {
            let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.count <= 256, values.allSatisfy({ (1...limit).contains($0 ?? 0) }) else { return nil }
            return values.compactMap { $0 }
        }

        /// Prints `frugal: error: message` and ends with exit status 2.
        func fail(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("frugal: error: \(message)\n".utf8))
            return ExitCode(ExitStatus.badInput)
        }

        /// The `--simulate-option` words parse as `frugal simulate`'s options (and as `frugal
        /// plan`'s when a `--parallel plan` point passes them to it).
        func checkSimulateOptions() throws {
            if parallel.contains(where: { $0 != SimulatedSweep.planTemplate }) {
                do { _ = try Simulate.parse(["--cluster", "c", "--model", "m"] + simulateOptions) } catch {
                    throw fail("--simulate-option: \(Simulate.message(for: error))")
                }
            }
            if parallel.contains(SimulatedSweep.planTemplate) {
                do { _ = try Plan.parse(["--cluster", "c", "--model", "m"] + simulateOptions) } catch {
                    throw fail("--simulate-option (passed to `frugal plan` for --parallel plan): \(Plan.message(for: error))")
                }
            }
        }

        func run() throws {
            if simulate {
                guard !cluster.isEmpty, model != nil, !parallel.isEmpty else { throw fail("--simulate needs --cluster, --model and --parallel") }
                if let chips, Self.integers(chips, upTo: Self.maxChips) == nil {
                    throw fail("--chips: expected comma-separated integers in 1...\(Self.maxChips), found '\(chips)'")
                }
                for template in parallel {
                    if let problem = SimulatedSweep.problem(inTemplate: template, maxDegree: Self.maxChips) { throw fail("--parallel: \(problem)") }
                }
            } else {
                guard job != nil else { throw fail("a measured sweep needs a job file (or --simulate)") }
                guard Self.integers(ranks, upTo: Self.maxRanks) != nil else {
                    throw fail("--ranks: expected comma-separated rank counts in 1...\(Self.maxRanks), found '\(ranks)'")
                }
                guard (1...Self.maxRepeat).contains(repeatCount) else {
                    throw fail("--repeat: expected an integer in 1...\(Self.maxRepeat), found \(repeatCount)")
                }
            }
            do { try OutputPath.checkFolder(out, flag: "--out") } catch { throw fail(error.description) }
            let points: [SweepPoint]
            var simulatedSweep: SimulatedSweep?
            if simulate {
                let clusters = cluster.flatMap { $0.split(separator: ",").map(String.init) }
                for file in clusters + [model!] where !FileManager.default.fileExists(atPath: file) {
                    throw fail("\(file): no such file")
                }
                let variants = whatIf.map { value in
                    value == "as-is" ? [] : value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                }
                // Every point would fail on these the same way, and a rerun could not fix them: bad input.
                for (value, settings) in zip(whatIf, variants) {
                    do { _ = try ClusterWhatIf.parseList(settings.joined(separator: ",")) } catch { throw fail("--what-if \(value): \(error)") }
                }
                try checkSimulateOptions()
                let sweep = SimulatedSweep(clusters: clusters, model: model!, chips: chips.flatMap { Self.integers($0) } ?? [],
                                           parallel: parallel, schedule: schedule, variants: variants, extraArguments: simulateOptions)
                do {
                    let probe = Process()
                    probe.executableURL = URL(fileURLWithPath: simulator ?? ChildProcess.currentExecutable)
                    probe.arguments = ["simulate", "--help"]
                    probe.standardOutput = FileHandle.nullDevice
                    probe.standardError = FileHandle.nullDevice
                    try probe.run()
                    probe.waitUntilExit()
                    guard probe.terminationStatus == 0 else {
                        throw fail("\(simulator ?? "this build of frugal") has no `simulate` subcommand, which --simulate runs")
                    }
                }
                let planned = sweep.points()
                for line in Array(NSOrderedSet(array: planned.skipped)) as! [String] { FileHandle.standardError.write(Data("frugal: sweep: skipping: \(line)\n".utf8)) }
                points = planned.points
                simulatedSweep = sweep
            } else {
                guard FileManager.default.fileExists(atPath: job!) else { throw fail("\(job!): no such file") }
                points = MeasuredSweep(jobPath: job!, ranks: Self.integers(ranks)!, scaling: scaling, repeatCount: repeatCount).points
            }
            guard !points.isEmpty else { throw fail("nothing to run: no points") }
            let runner = SweepRunner(folder: out, simulator: simulator, simulatedSweep: simulatedSweep)
            let summary: SweepRunner.Summary
            do {
                summary = try runner.run(points, progress: SweepProgress(total: points.count))
            } catch let error as ResultsFolderError where error.isBadInput {
                throw fail(error.description)
            }
            let oversubscribed = points.filter(\.oversubscribed).map(\.id)
            print("# sweep: \(points.count) points: \(summary.ran.count) ran, \(summary.skipped.count) already finished (skipped), \(summary.failed.count) failed")
            if !oversubscribed.isEmpty { print("# oversubscribed (more ranks than cores): \(oversubscribed.joined(separator: ", "))") }
            for id in summary.failed {
                let message = runner.folder.readIndex().entries.first { $0.point.id == id }?.message ?? ""
                FileHandle.standardError.write(Data("frugal: error: point \(id) failed: \(message)\n".utf8))
            }
            print("# sweep index: \(runner.folder.indexPath)")
            if !summary.failed.isEmpty { throw ExitCode(ExitStatus.resultFailed) }
        }
    }
}

extension SweepPoint.Scaling: ExpressibleByArgument {}
