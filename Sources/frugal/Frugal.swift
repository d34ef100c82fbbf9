import ArgumentParser

/// The `frugal` command line: thin — it parses, calls a module, prints.
@main
struct Frugal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frugal",
        abstract: "How fast, and at what cost, training-style work runs on constrained GPUs.",
        discussion: """
        Measured side: `frugal run` spreads GEMM, MoE and batch jobs over MPI ranks (launch it
        with mpirun). Simulated side: `frugal simulate` times a training step on a virtual cluster.

        Examples:
          mpirun -np 4 frugal run Cluster/jobs/demo.toml --out results/
          frugal run Cluster/jobs/demo.toml            # one rank, no mpirun needed
          frugal simulate --cluster h800-2048 --model deepseek-v3 --parallel pp=16,ep=64,dp=128 --schedule dualpipe
          frugal bench gemm --sizes 1024,2048 --baseline openblas
          frugal version
        """,
        version: "frugal \(FrugalVersion.string)",
        subcommands: [
            Run.self,
            Sweep.self,
            Report.self,
            Simulate.self,
            Compare.self,
            Plan.self,
            Chips.self,
            CheckMPI.self,
            Calibrate.self,
            Bench.self,
            Version.self,
        ])
}
