import ArgumentParser
import Foundation
import MPIKit
import Runtime

/// `frugal bench alltoallv`: under mpirun.
struct BenchAlltoallv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alltoallv",
        abstract: "MoE dispatch+combine path vs bare MPI_Alltoallv at the same byte counts (run under mpirun).",
        discussion: """
        The path is the MoE executor's alltoallv transport (pack by destination, own rows in place, \
        MPI_Ialltoallv there and back, combine); the window path is its window transport (each row \
        written once into its receiver's shared-window region, the combine reading it there); the bare \
        call is a blocking MPI_Alltoallv with the same per-peer counts. All three in the same run.

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

    @Option(help: "How the window path synchronizes: barrier (lock_all once, then MPI_Win_sync + MPI_Barrier) or fence (MPI_Win_fence).")
    var sync: String = "barrier"

    /// Largest byte count per rank (1 GiB), floats per row and repetitions.
    static let maxBytes = 1 << 30
    static let maxHidden = 1 << 20
    static let maxRepetitions = 10_000

    func validate() throws {
        let items = sizes.split(separator: ",", omittingEmptySubsequences: false)
        guard items.count <= 64, items.allSatisfy({ Int($0).map { (1...Self.maxBytes).contains($0) } ?? false }) else {
            throw ValidationError("--sizes: expected at most 64 comma-separated byte counts in 1...\(Self.maxBytes), found '\(sizes)'")
        }
        // About 8 buffers of the largest size per rank (tokens, packed, received, combined, and the
        // bare call's pair), every rank of the launch on this host in the worst case.
        let largest = Double(items.compactMap { Int($0) }.max() ?? 0)
        let ranks = Double(MPILaunch.fromEnvironment.size), budget = Double(ProcessInfo.processInfo.physicalMemory) / 2
        guard largest * 8 * ranks <= budget else {
            throw ValidationError(String(format: "--sizes: expected sizes whose buffers (≈ 8 × size × %.0f ranks) fit in half of this machine's memory (%.1f GB), found %.0f bytes",
                                         ranks, budget / 1e9, largest))
        }
        guard (1...Self.maxHidden).contains(hidden) else {
            throw ValidationError("--hidden: expected an integer in 1...\(Self.maxHidden), found \(hidden)")
        }
        guard (1...Self.maxRepetitions).contains(`repeat`) else {
            throw ValidationError("--repeat: expected an integer in 1...\(Self.maxRepetitions), found \(`repeat`)")
        }
        guard ["table", "json"].contains(format) else { throw ValidationError("--format: expected table or json, found '\(format)'") }
        guard WindowSynchronization(rawValue: sync) != nil else { throw ValidationError("--sync: expected barrier or fence, found '\(sync)'") }
    }

    func run() throws {
        let benchmark = AlltoallvBenchmark(sizes: sizes.split(separator: ",").compactMap { Int($0) }, hidden: hidden,
                                           repetitions: `repeat`, json: format == "json",
                                           synchronization: WindowSynchronization(rawValue: sync) ?? .barrier)
        let status = benchmark.run()
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
