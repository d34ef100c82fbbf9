import ArgumentParser
import Foundation
import Hardware
import Reports
import Runtime
import Simulator
import Workload

extension Frugal {
    /// `frugal run JOB.toml`: the measured side.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a job file across the MPI ranks, verify it, report throughput per rank.",
            discussion: """
            Rank 0 reads and checks the job, every rank computes its shard of each task, rank 0
            verifies the result against a single-rank reference and prints one row per rank.

            Examples:
              mpirun -np 2 frugal run Cluster/jobs/demo.toml
              mpirun --oversubscribe -np 4 frugal run Cluster/jobs/demo.toml --out results/ --format json
              frugal run Cluster/jobs/demo.toml      # a single rank, without mpirun
              mpirun -np 2 frugal run Cluster/jobs/moe-layer.toml --out r/ --fail-rank 1 --fail-at-step 2
              mpirun -np 2 frugal run Cluster/jobs/moe-layer.toml --out r/ --resume
              mpirun -np 2 frugal run Cluster/jobs/moe-layer.toml --trace run.json

            Exit status: 0 success, 1 verification failed, 2 bad job file or options,
            3 MPI or system failure (the job is aborted on every rank).
            """)

        @Argument(help: "The job file (TOML), e.g. Cluster/jobs/demo.toml.")
        var job: String

        @Option(help: "Folder for results.jsonl (one JSON record per line; created if missing).")
        var out: String?

        @Option(help: "Standard output format: table or json.")
        var format: RunOptions.Format = .table

        @Flag(help: "After the run, print the simulator's prediction of it beside the measurement (needs a cluster file, see --cluster).")
        var predict = false

        @Option(help: "Cluster file for --predict, e.g. the one `frugal calibrate` wrote; with --predict its GEMM curve also schedules batch tasks.")
        var cluster: String = "Cluster/clusters/local.toml"

        @Option(help: ArgumentHelp(
            "Write a Chrome/Perfetto trace of the run to this file: per rank, one event per timed phase of each task.",
            discussion: "Open it in https://ui.perfetto.dev beside `frugal simulate --job JOB --ranks N --trace FILE`, its simulated twin."))
        var trace: String?

        @Option(name: .customLong("trace-event-limit"),
                help: ArgumentHelp("The most events --trace keeps, shared by the ranks (1…2²³, the default).", visibility: .hidden))
        var traceEventLimit: Int = ChromeTrace.eventLimit

        @Flag(help: "Continue the run recorded in --out after its last completed step.")
        var resume = false

        @Option(help: "Fault injection: this rank fails at the start of --fail-at-step.")
        var failRank: Int?

        @Option(help: "Fault injection: the step (counted across the job: one per GEMM task, one per MoE step).")
        var failAtStep: Int?

        func validate() throws {
            if (failRank == nil) != (failAtStep == nil) {
                throw ValidationError("--fail-rank and --fail-at-step go together")
            }
            if resume && out == nil { throw ValidationError("--resume needs --out DIR, the folder of the run to continue") }
        }

        func run() throws {
            if let out {
                do { try OutputPath.checkFolder(out, flag: "--out") } catch { try MPILaunch.fromEnvironment.failBadInput(error.description) }
            }
            if let trace {
                do {
                    try OutputPath.checkFile(trace, flag: "--trace")
                    _ = try FlagBounds.integer(traceEventLimit, "--trace-event-limit", in: 1...ChromeTrace.eventLimit, "an event count")
                } catch { try MPILaunch.fromEnvironment.failBadInput(error.description) }
            }
            var options = RunOptions(jobPath: job, outDirectory: out, format: format, resume: resume,
                                     failRank: failRank, failAtStep: failAtStep, tracePath: trace)
            options.traceEventLimit = traceEventLimit
            if predict {
                // Check the cluster file before any rank computes; only rank 0 says what is wrong.
                let clusterSpec: ClusterSpec
                do {
                    clusterSpec = try ClusterSpec(contentsOfFile: cluster)
                } catch {
                    if ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"].map({ $0 == "0" }) ?? true {
                        FileHandle.standardError.write(Data("frugal: error: \(error)\n".utf8))
                    }
                    throw ExitCode(RunExitStatus.badInput.rawValue)
                }
                // Batch items are scheduled by the same calibrated GEMM curve they are predicted with.
                options.gemmSpeed = GemmSpeed(chip: clusterSpec.chip)
                let outcome = JobRunner(options: options).runReturningRecords()
                if outcome.isRoot, let job = outcome.job {
                    let comparison = PredictionComparison(outcome: outcome, predictions: TaskPrediction
                        .predict(job: Frugal.Run.withTransportsUsed(job, outcome.moeSteps), ranks: outcome.ranks, cluster: clusterSpec))
                    print(comparison.table(clusterFile: cluster))
                    if let out { try comparison.write(to: (out as NSString).appendingPathComponent("predictions.jsonl")) }
                }
                if outcome.status != .success { throw ExitCode(outcome.status.rawValue) }
                return
            }
            let status = JobRunner(options: options).run()
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}

/// The MPI launch this process belongs to, as mpirun's environment describes it (before MPI_Init):
/// its rank and the world size (1 rank without mpirun).
struct MPILaunch {
    var rank: Int
    var size: Int

    static var fromEnvironment: MPILaunch {
        let environment = ProcessInfo.processInfo.environment
        func value(_ names: [String]) -> Int? { names.lazy.compactMap { environment[$0].flatMap { Int($0) } }.first }
        let size = value(["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"]) ?? 1
        let rank = value(["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"]) ?? 0
        return MPILaunch(rank: max(0, rank), size: max(1, size))
    }

    /// Rank 0 prints `frugal: error: message`; every rank exits 2.
    func failBadInput(_ message: String) throws -> Never {
        if rank == 0 { FileHandle.standardError.write(Data("frugal: error: \(message)\n".utf8)) }
        throw ExitCode(ExitStatus.badInput)
    }
}

extension RunOptions.Format: ExpressibleByArgument {}

extension Frugal.Run {
    /// `job` with each MoE task's transport the one its run recorded (`auto` resolved), so the
    /// prediction prices the exchange the run made.
    static func withTransportsUsed(_ job: Job, _ records: [MoEStepRecord]) -> Job {
        var job = job
        job.tasks = job.tasks.map { task in
            guard case .moe(var moe) = task,
                  let used = records.first(where: { $0.task == moe.name })?.transport.flatMap(MoETransport.init(rawValue:)) else { return task }
            moe.transport = used
            return .moe(moe)
        }
        return job
    }
}
