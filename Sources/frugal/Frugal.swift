import ArgumentParser

/// The `frugal` command line: thin — it parses, calls a module, prints.
@main
struct Frugal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frugal",
        abstract: "How fast, and at what cost, training-style work runs on constrained GPUs.",
        discussion: """
        Measured side: `frugal run` spreads GEMM jobs over MPI ranks (launch it with mpirun).

        Examples:
          mpirun -np 4 frugal run Cluster/jobs/demo.toml --out results/
          frugal run Cluster/jobs/demo.toml            # one rank, no mpirun needed
          frugal bench gemm --sizes 1024,2048 --baseline openblas
          frugal version
        """,
        version: "frugal \(FrugalVersion.string)",
        subcommands: [
            Run.self,
            Sweep.self,
            Report.self,
            CheckMPI.self,
            Calibrate.self,
            Bench.self,
            Version.self,
        ])
}
