import Foundation
import MPIKit

/// `frugal check-mpi`: every MPIKit operation on known data, checked on every rank — a quick
/// way to see that MPI works on a cluster, and the MPIKit test that runs under mpirun.
///
/// Prints (rank 0) one row per operation with the number of ranks that got a wrong answer,
/// nccl-tests style, then `N passed, M failed`.
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

    private func check(_ world: Communicator) throws -> RunExitStatus {
        let size = world.size, rank = world.rank
        var results: [(name: String, ok: Bool)] = []
        func record(_ name: String, _ ok: Bool) { results.append((name, ok)) }

        // Point to point: a ring, small messages; even ranks send first.
        do {
            let next = (rank + 1) % size, previous = (rank + size - 1) % size
            let message = (0..<16).map { Int64(rank * 100 + $0) }
            var received = [Int64](repeating: -1, count: 16)
            func send() throws { try message.withUnsafeBufferPointer { try world.send($0, to: next, tag: 7) } }
            func receive() throws { try received.withUnsafeMutableBufferPointer { try world.receive(into: $0, from: previous, tag: 7) } }
            if rank % 2 == 0 { try send(); try receive() } else { try receive(); try send() }
            record("send/receive", received == (0..<16).map { Int64(previous * 100 + $0) })
        }
        if failRank == rank { throw InjectedFailure() }

        // Broadcast, any length.
        let broadcast = try world.broadcast(array: rank == 0 ? (0..<1000).map { Double($0) * 1.5 } : [])
        record("broadcast", broadcast == (0..<1000).map { Double($0) * 1.5 })

        // Gather and gatherv.
        let gathered = try world.gather(array: (0..<5).map { Int32(rank * 10 + $0) })
        record("gather", rank != 0 || gathered == (0..<size).map { r in (0..<5).map { Int32(r * 10 + $0) } })
        do {
            let counts = (0..<size).map { $0 + 1 }
            let mine = [Float](repeating: Float(rank), count: rank + 1)
            var all = [Float](repeating: -1, count: rank == 0 ? counts.reduce(0, +) : 0)
            try mine.withUnsafeBufferPointer { send in
                try all.withUnsafeMutableBufferPointer { try world.gatherv(send, into: rank == 0 ? $0 : nil, counts: counts) }
            }
            record("gatherv", rank != 0 || all == (0..<size).flatMap { [Float](repeating: Float($0), count: $0 + 1) })
        }

        // Scatter and scatterv.
        do {
            let source = (0..<(size * 3)).map { Int64($0) }
            var block = [Int64](repeating: -1, count: 3)
            try source.withUnsafeBufferPointer { send in
                try block.withUnsafeMutableBufferPointer { try world.scatter(rank == 0 ? send : nil, into: $0) }
            }
            record("scatter", block == (0..<3).map { Int64(rank * 3 + $0) })
            let counts = (0..<size).map { $0 + 1 }
            let packed = (0..<size).flatMap { [UInt8](repeating: UInt8($0), count: $0 + 1) }
            var mine = [UInt8](repeating: 255, count: rank + 1)
            try packed.withUnsafeBufferPointer { send in
                try mine.withUnsafeMutableBufferPointer { try world.scatterv(rank == 0 ? send : nil, counts: counts, into: $0) }
            }
            record("scatterv", mine == [UInt8](repeating: UInt8(rank), count: rank + 1))
        }

        // Allgather and allgatherv.
        do {
            let mine = [Double(rank), Double(rank) + 0.5]
            var all = [Double](repeating: -1, count: 2 * size)
            try mine.withUnsafeBufferPointer { send in try all.withUnsafeMutableBufferPointer { try world.allgather(send, into: $0) } }
            record("allgather", all == (0..<size).flatMap { [Double($0), Double($0) + 0.5] })
            let counts = (0..<size).map { ($0 % 3) }
            let part = [Int32](repeating: Int32(rank), count: rank % 3)
            var packed = [Int32](repeating: -1, count: counts.reduce(0, +))
            try part.withUnsafeBufferPointer { send in
                try packed.withUnsafeMutableBufferPointer { try world.allgatherv(send, into: $0, counts: counts) }
            }
            record("allgatherv", packed == (0..<size).flatMap { [Int32](repeating: Int32($0), count: $0 % 3) })
        }

        // Reductions.
        let sum = try world.allreduce(array: [Int64(rank + 1), Int64(2 * rank)], .sum)
        record("allreduce sum", sum == [Int64(size * (size + 1) / 2), Int64(size * (size - 1))])
        let maximum = try world.allreduce(array: [Float(rank)], .max)
        let minimum = try world.allreduce(array: [Float(rank)], .min)
        record("allreduce max/min", maximum == [Float(size - 1)] && minimum == [0])
        do {
            let send = (0..<(2 * size)).map { Double(rank + $0) }
            var block = [Double](repeating: -1, count: 2)
            try send.withUnsafeBufferPointer { s in try block.withUnsafeMutableBufferPointer { try world.reduceScatter(s, into: $0, .sum) } }
            let ranksSum = Double(size * (size - 1) / 2)
            record("reduce-scatter", block == [ranksSum + Double(size * 2 * rank), ranksSum + Double(size * (2 * rank + 1))])
        }

        // All-to-all and all-to-all-v.
        do {
            let send = (0..<size).flatMap { d in [Int32(rank * 1000 + d), Int32(-rank)] }
            var receive = [Int32](repeating: 0, count: 2 * size)
            try send.withUnsafeBufferPointer { s in try receive.withUnsafeMutableBufferPointer { try world.alltoall(s, into: $0) } }
            record("alltoall", receive == (0..<size).flatMap { s in [Int32(s * 1000 + rank), Int32(-s)] })
            let sendCounts = (0..<size).map { (rank + $0) % 3 + 1 }
            let receiveCounts = (0..<size).map { ($0 + rank) % 3 + 1 }
            let packed = (0..<size).flatMap { d in [Float](repeating: Float(rank * 1000 + d), count: sendCounts[d]) }
            var received = [Float](repeating: -1, count: receiveCounts.reduce(0, +))
            try packed.withUnsafeBufferPointer { s in
                try received.withUnsafeMutableBufferPointer { try world.alltoallv(s, counts: sendCounts, into: $0, counts: receiveCounts) }
            }
            record("alltoallv", received == (0..<size).flatMap { s in [Float](repeating: Float(s * 1000 + rank), count: receiveCounts[s]) })

            // Explicit displacements: blocks in reverse rank order with a gap of one element
            // before each, the own block left out (as the MoE exchange does).
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
            record("alltoallv (displacements)", landed == expected)
            let sendBuffer = CommBuffer(scattered), receiveBuffer = CommBuffer<Float>([Float](repeating: -1, count: landed.count))
            try world.alltoallvNonblocking(sendBuffer, counts: ownOut(sendCounts), displacements: sendGapped,
                                           into: receiveBuffer, counts: ownOut(receiveCounts), displacements: receiveGapped).wait()
            record("ialltoallv (displacements)", receiveBuffer.array == expected)
        }

        // Split by colour (virtual nodes of two ranks).
        do {
            let node = try world.split(color: rank / 2, key: rank)!
            let members = try node.allreduce(array: [Int64(1), Int64(rank)], .sum)
            let expectedSize = min(2, size - (rank / 2) * 2)
            let first = (rank / 2) * 2
            record("split", node.size == expectedSize && node.rank == rank - first
                   && members == [Int64(expectedSize), Int64((first..<(first + expectedSize)).reduce(0, +))])
            let none = try world.split(color: rank == 0 ? nil : 1, key: 0)
            record("split (undefined colour)", (rank == 0) == (none == nil) && (none?.size ?? size - 1) == size - 1)
        }

        // Non-blocking variants on CommBuffers.
        do {
            let next = (rank + 1) % size, previous = (rank + size - 1) % size
            let outgoing = CommBuffer((0..<(1 << 16)).map { Float(rank) + Float($0) })
            let incoming = CommBuffer<Float>(count: 1 << 16)
            let receive = try world.receiveNonblocking(into: incoming, from: previous, tag: 3)
            let send = try world.sendNonblocking(outgoing, to: next, tag: 3)
            try Request.waitAll([receive, send])
            record("isend/irecv", incoming[0] == Float(previous) && incoming[(1 << 16) - 1] == Float(previous) + Float((1 << 16) - 1))

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
            record("ibcast", value.array == [7, 14, 21])
            record("iallreduce", reduced[0] == Double(size * (size - 1) / 2))
            record("iallgather", gatheredBuffer.array == (0..<size).map { Int32($0 * 3) })
            record("ialltoallv", (0..<size).allSatisfy { s in a2aReceive[s * perPeer] == Float(s * 10 + rank) && a2aReceive[(s + 1) * perPeer - 1] == Float(s * 10 + rank) })
            let aligned = a2aSend.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) % 4096 == 0 }
            record("CommBuffer alignment", aligned)
        }

        // Errors come back typed: a count list of the wrong length is refused before MPI.
        do {
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
            record("MPIError for bad counts", refused)
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
            record("MPIError for a block outside", outside)
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
            record("MPIError for overlaps", overlapRefused)
        }

        // Per operation: how many ranks got it wrong.
        let wrong = try world.allreduce(array: results.map { Int32($0.ok ? 0 : 1) }, .sum)
        if world.isRoot {
            print("# frugal check-mpi: \(size) rank\(size == 1 ? "" : "s"), \(MPIEnvironment.libraryVersion)")
            print("#\("operation".padding(toLength: 28, withPad: " ", startingAt: 0)) #wrong")
            for (index, result) in results.enumerated() {
                print(" \(result.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(wrong[index])")
            }
            let failed = wrong.filter { $0 > 0 }.count
            print("\(results.count - failed) passed, \(failed) failed")
        }
        return wrong.allSatisfy { $0 == 0 } ? .success : .verificationFailed
    }
}
