import MPIKit

/// `frugal check-mpi`'s all-to-all cases.
extension MPISelfCheck {
    /// Alltoall (equal blocks) and alltoallv (blocks packed in rank order).
    static func alltoall(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let size = world.size, rank = world.rank
        let send = (0..<size).flatMap { d in [Int32(rank * 1000 + d), Int32(-rank)] }
        var receive = [Int32](repeating: 0, count: 2 * size)
        try send.withUnsafeBufferPointer { s in try receive.withUnsafeMutableBufferPointer { try world.alltoall(s, into: $0) } }
        results.record("alltoall", receive == (0..<size).flatMap { s in [Int32(s * 1000 + rank), Int32(-s)] })
        let (sendCounts, receiveCounts) = alltoallvCounts(rank: rank, size: size)
        let packed = (0..<size).flatMap { d in [Float](repeating: Float(rank * 1000 + d), count: sendCounts[d]) }
        var received = [Float](repeating: -1, count: receiveCounts.reduce(0, +))
        try packed.withUnsafeBufferPointer { s in
            try received.withUnsafeMutableBufferPointer { try world.alltoallv(s, counts: sendCounts, into: $0, counts: receiveCounts) }
        }
        results.record("alltoallv", received == (0..<size).flatMap { s in [Float](repeating: Float(s * 1000 + rank), count: receiveCounts[s]) })
    }

    /// Alltoallv with explicit displacements, blocking and not: blocks in reverse rank order with
    /// a gap of one element before each, the own block left out (as the MoE exchange does).
    static func alltoallvDisplacements(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let size = world.size, rank = world.rank
        let (sendCounts, receiveCounts) = alltoallvCounts(rank: rank, size: size)
        let gapped = { (counts: [Int]) -> [Int] in
            var displacements = [Int](repeating: 0, count: size), offset = 0
            for peer in (0..<size).reversed() { offset += 1; displacements[peer] = offset; offset += counts[peer] }
            return displacements
        }
        let sendGapped = gapped(sendCounts), receiveGapped = gapped(receiveCounts)
        let ownOut = { (counts: [Int]) in counts.enumerated().map { $0.offset == rank ? 0 : $0.element } }
        var scattered = [Float](repeating: -1, count: sendCounts.reduce(0, +) + size)
        for peer in 0..<size { for i in 0..<sendCounts[peer] { scattered[sendGapped[peer] + i] = Float(rank * 1000 + peer) } }
        var landed = [Float](repeating: -1, count: receiveCounts.reduce(0, +) + size)
        try scattered.withUnsafeBufferPointer { s in
            try landed.withUnsafeMutableBufferPointer {
                try world.alltoallv(s, counts: ownOut(sendCounts), displacements: sendGapped,
                                    into: $0, counts: ownOut(receiveCounts), displacements: receiveGapped)
            }
        }
        var expected = [Float](repeating: -1, count: landed.count)
        for peer in 0..<size where peer != rank {
            for i in 0..<receiveCounts[peer] { expected[receiveGapped[peer] + i] = Float(peer * 1000 + rank) }
        }
        results.record("alltoallv (displacements)", landed == expected)
        let sendBuffer = CommBuffer(scattered), receiveBuffer = CommBuffer<Float>([Float](repeating: -1, count: landed.count))
        try world.alltoallvNonblocking(sendBuffer, counts: ownOut(sendCounts), displacements: sendGapped,
                                       into: receiveBuffer, counts: ownOut(receiveCounts), displacements: receiveGapped).wait()
        results.record("ialltoallv (displacements)", receiveBuffer.array == expected)
    }

    /// The all-to-all-v counts both cases use: rank `r` sends `(r + d) mod 3 + 1` elements to
    /// rank `d` (so every pair exchanges a different, non-zero count).
    static func alltoallvCounts(rank: Int, size: Int) -> (send: [Int], receive: [Int]) {
        ((0..<size).map { (rank + $0) % 3 + 1 }, (0..<size).map { ($0 + rank) % 3 + 1 })
    }
}
