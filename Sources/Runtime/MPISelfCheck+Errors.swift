import MPIKit

/// `frugal check-mpi`'s case for typed errors.
extension MPISelfCheck {
    /// A count list of the wrong length, a block outside its buffer and overlapping receive
    /// blocks are each refused before MPI with an ``MPIError`` naming `MPI_Alltoallv`.
    static func typedErrors(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let size = world.size
        var buffer = [Float](repeating: 0, count: 4)
        let refused: Bool
        do {
            try buffer.withUnsafeMutableBufferPointer { b in
                try world.alltoallv(UnsafeBufferPointer(b), counts: [1], into: b, counts: [1])
            }
            refused = size == 1
        } catch {
            refused = (error as? MPIError)?.function == "MPI_Alltoallv"
        }
        results.record("MPIError for bad counts", refused)
        var outside = false
        do {
            try buffer.withUnsafeMutableBufferPointer { b in
                let counts = [Int](repeating: 1, count: size), displacements = [Int](repeating: 4, count: size)
                try world.alltoallv(UnsafeBufferPointer(b), counts: counts, displacements: displacements,
                                    into: b, counts: counts, displacements: displacements)
            }
        } catch {
            outside = (error as? MPIError)?.function == "MPI_Alltoallv"
        }
        results.record("MPIError for a block outside", outside)
        var overlapRefused = false
        do {
            // Every peer's block received at element 0: they overlap as soon as there are two.
            let send = [Float](repeating: 1, count: size)
            var receive = [Float](repeating: 0, count: size)
            try send.withUnsafeBufferPointer { (s) throws(MPIError) in
                try receive.withUnsafeMutableBufferPointer { (r) throws(MPIError) in
                    try world.alltoallv(s, counts: [Int](repeating: 1, count: size), displacements: Array(0..<size),
                                        into: r, counts: [Int](repeating: 1, count: size),
                                        displacements: [Int](repeating: 0, count: size))
                }
            }
            overlapRefused = size == 1
        } catch {
            overlapRefused = error.function == "MPI_Alltoallv"
        }
        results.record("MPIError for overlaps", overlapRefused)
    }
}
