import ArgumentParser
import Runtime

/// `frugal bench alltoallv`: under mpirun.
struct BenchAlltoallv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alltoallv",
        abstract: "MoE dispatch+combine path vs bare MPI_Alltoallv at the same byte counts (run under mpirun).",
        discussion: """
        The path is the MoE executor's (pack by destination, own rows in place, MPI_Ialltoallv there \
        and back, combine); the bare call is a blocking MPI_Alltoallv with the same per-peer counts.

        Copy-count model of one host: with one thread per rank and copies at one speed, a bare round \
        trip copies each byte 2 times with a single-copy transport (CMA) or 2(2n-1)/n with \
        copy-in/copy-out; the path adds a pack and a combine read of every row and keeps its own \
        block off MPI: ratio ≈ n/(2n-1) or (2n-1)/(3n-2). Cache-resident sizes can beat it.

        Examples:
          mpirun -np 2 frugal bench alltoallv
          mpirun -np 4 frugal bench alltoallv --sizes 1048576,16777216 --format json
        """)

    @Option(help: "Bytes each rank sends per Alltoallv, comma-separated.")
    var sizes: String = "65536,262144,1048576,4194304,16777216"

    @Option(help: "Floats per token row.")
    var hidden: Int = 1024

    @Option(help: "Timed repetitions per size (median reported).")
    var `repeat`: Int = 20

    @Option(help: "table or json.")
    var format: String = "table"

    func validate() throws {
        guard sizes.split(separator: ",").allSatisfy({ Int($0).map { $0 > 0 } ?? false }) else {
            throw ValidationError("--sizes: expected positive byte counts separated by commas, found '\(sizes)'")
        }
        guard hidden > 0, `repeat` > 0 else { throw ValidationError("--hidden and --repeat must be positive") }
        guard ["table", "json"].contains(format) else { throw ValidationError("--format: expected table or json, found '\(format)'") }
    }

    func run() throws {
        let benchmark = AlltoallvBenchmark(sizes: sizes.split(separator: ",").compactMap { Int($0) }, hidden: hidden,
                                           repetitions: `repeat`, json: format == "json")
        let status = benchmark.run()
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
