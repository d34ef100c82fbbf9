import MPIKit

/// `frugal check-mpi`'s case for communicators made from the world.
extension MPISelfCheck {
    /// Split by colour into virtual nodes of two ranks, and a split that leaves rank 0 out.
    static func split(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let size = world.size, rank = world.rank
        guard let node = try world.split(color: rank / 2, key: rank) else { throw SplitFailure() }
        let members = try node.allreduce(array: [Int64(1), Int64(rank)], .sum)
        let expectedSize = min(2, size - (rank / 2) * 2)
        let first = (rank / 2) * 2
        results.record("split", node.size == expectedSize && node.rank == rank - first
                       && members == [Int64(expectedSize), Int64((first..<(first + expectedSize)).reduce(0, +))])
        let none = try world.split(color: rank == 0 ? nil : 1, key: 0)
        results.record("split (undefined colour)", (rank == 0) == (none == nil) && (none?.size ?? size - 1) == size - 1)
    }

    /// A split with a colour that returned no communicator (MPI broke its contract).
    struct SplitFailure: Error, CustomStringConvertible {
        var description: String { "MPI_Comm_split with a colour returned no communicator" }
    }
}
