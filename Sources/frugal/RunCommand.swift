import ArgumentParser
import Foundation
import Runtime

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

            Exit status: 0 success, 1 verification failed, 2 bad job file or options,
            3 MPI or system failure (the job is aborted on every rank).
            """)

        @Argument(help: "The job file (TOML), e.g. Cluster/jobs/demo.toml.")
        var job: String

        @Option(help: "Folder for results.jsonl (one JSON record per line; created if missing).")
        var out: String?

        @Option(help: "Standard output format: table or json.")
        var format: RunOptions.Format = .table

        func run() throws {
            let status = JobRunner(options: RunOptions(jobPath: job, outDirectory: out, format: format)).run()
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }
}

extension RunOptions.Format: ExpressibleByArgument {}
