import Foundation
import MPIKit

/// `frugal check-mpi`: every MPIKit operation on known data, checked on every rank — a quick
/// way to see that MPI works on a cluster, and the MPIKit test that runs under mpirun.
///
/// Prints (rank 0) one row per operation with the number of ranks that got a wrong answer,
/// nccl-tests style, then `N passed, M failed`.
///
/// Laid out like nccl-tests: this file is the harness (run every case in order on every rank,
/// count wrong answers per operation across ranks, print the table); each
/// `MPISelfCheck+Kind.swift` holds thin cases that run one kind of operation on known data and
/// record whether each rank got the expected answer.
public struct MPISelfCheck {
    /// A rank that throws after the first check, to show a failure on one rank ends the job.
    public var failRank: Int?

    public init(failRank: Int? = nil) { self.failRank = failRank }

    struct InjectedFailure: Error, CustomStringConvertible {
        var description: String { "injected failure (--fail-rank)" }
    }

    public func run() -> RunExitStatus {
        MPIJob.run(check)
    }

    /// One case: runs its operations on `world` and records one result row per operation.
    typealias Case = (_ world: Communicator, _ results: inout SelfCheckResults) throws -> Void

    /// Every case, in the order of the printed rows.
    static var cases: [Case] {
        [sendReceive, broadcast, gather, scatter, allgather, reductions, alltoall, alltoallvDisplacements,
         split, sharedWindow, nonblocking, typedErrors]
    }

    private func check(_ world: Communicator) throws -> RunExitStatus {
        var results = SelfCheckResults()
        for (index, run) in Self.cases.enumerated() {
            try run(world, &results)
            if index == 0, failRank == world.rank { throw InjectedFailure() }
        }
        // Per operation: how many ranks got it wrong.
        let wrong = try world.allreduce(array: results.rows.map { Int32($0.ok ? 0 : 1) }, .sum)
        if world.isRoot { print(results.table(wrong: wrong, ranks: world.size)) }
        return wrong.allSatisfy { $0 == 0 } ? .success : .verificationFailed
    }
}

/// The rows of one rank's self-check: an operation's name and whether this rank got it right.
struct SelfCheckResults {
    private(set) var rows: [(name: String, ok: Bool)] = []

    mutating func record(_ name: String, _ ok: Bool) { rows.append((name, ok)) }

    /// The printed table, given how many ranks got each row wrong.
    func table(wrong: [Int32], ranks: Int) -> String {
        var lines = ["# frugal check-mpi: \(ranks) rank\(ranks == 1 ? "" : "s"), \(MPIEnvironment.libraryVersion)",
                     "#\("operation".padding(toLength: 28, withPad: " ", startingAt: 0)) #wrong"]
        for (index, row) in rows.enumerated() {
            lines.append(" \(row.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(wrong[index])")
        }
        let failed = wrong.filter { $0 > 0 }.count
        lines.append("\(rows.count - failed) passed, \(failed) failed")
        return lines.joined(separator: "\n")
    }
}
