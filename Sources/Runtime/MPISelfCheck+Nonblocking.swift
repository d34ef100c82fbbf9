import MPIKit

/// `frugal check-mpi`'s cases for the non-blocking operations on ``CommBuffer``s.
extension MPISelfCheck {
    /// Isend/irecv round a ring, then ibcast, iallreduce, iallgather and a large ialltoallv in
    /// flight together, and the buffers' page alignment.
    static func nonblocking(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let size = world.size, rank = world.rank
        let next = (rank + 1) % size, previous = (rank + size - 1) % size
        let outgoing = CommBuffer((0..<(1 << 16)).map { Float(rank) + Float($0) })
        let incoming = CommBuffer<Float>(count: 1 << 16)
        let receive = try world.receiveNonblocking(into: incoming, from: previous, tag: 3)
        let send = try world.sendNonblocking(outgoing, to: next, tag: 3)
        try Request.waitAll([receive, send])
        results.record("isend/irecv", incoming[0] == Float(previous) && incoming[(1 << 16) - 1] == Float(previous) + Float((1 << 16) - 1))

        let value = CommBuffer<Int64>(count: 3)
        if rank == 0 { for i in 0..<3 { value[i] = Int64(7 * (i + 1)) } }
        let ibcast = try world.broadcastNonblocking(value)
        let reduced = CommBuffer<Double>([Double(rank)])
        let iallreduce = try world.allreduceNonblocking(reduced, .sum)
        let gatheredBuffer = CommBuffer<Int32>(count: size)
        let iallgather = try world.allgatherNonblocking(CommBuffer([Int32(rank * 3)]), into: gatheredBuffer)
        // Large all-to-all-v: 2 MiB-aligned buffers.
        let perPeer = (1 << 19) / size
        let a2aSend = CommBuffer((0..<(perPeer * size)).map { Float(rank * 10 + $0 / perPeer) })
        let a2aReceive = CommBuffer<Float>(count: perPeer * size)
        let ialltoallv = try world.alltoallvNonblocking(a2aSend, counts: Array(repeating: perPeer, count: size),
                                                        into: a2aReceive, counts: Array(repeating: perPeer, count: size))
        while try !ialltoallv.test() {}
        try Request.waitAll([ibcast, iallreduce, iallgather])
        results.record("ibcast", value.array == [7, 14, 21])
        results.record("iallreduce", reduced[0] == Double(size * (size - 1) / 2))
        results.record("iallgather", gatheredBuffer.array == (0..<size).map { Int32($0 * 3) })
        results.record("ialltoallv", (0..<size).allSatisfy { s in a2aReceive[s * perPeer] == Float(s * 10 + rank) && a2aReceive[(s + 1) * perPeer - 1] == Float(s * 10 + rank) })
        let aligned = a2aSend.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) % 4096 == 0 }
        results.record("CommBuffer alignment", aligned)
    }
}
