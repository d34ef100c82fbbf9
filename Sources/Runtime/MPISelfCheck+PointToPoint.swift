import MPIKit

/// `frugal check-mpi`'s point-to-point case.
extension MPISelfCheck {
    /// A ring of small messages; even ranks send first.
    static func sendReceive(_ world: Communicator, _ results: inout SelfCheckResults) throws {
        let size = world.size, rank = world.rank
        let next = (rank + 1) % size, previous = (rank + size - 1) % size
        let message = (0..<16).map { Int64(rank * 100 + $0) }
        var received = [Int64](repeating: -1, count: 16)
        func send() throws { try message.withUnsafeBufferPointer { try world.send($0, to: next, tag: 7) } }
        func receive() throws { try received.withUnsafeMutableBufferPointer { try world.receive(into: $0, from: previous, tag: 7) } }
        if rank % 2 == 0 { try send(); try receive() } else { try receive(); try send() }
        results.record("send/receive", received == (0..<16).map { Int64(previous * 100 + $0) })
    }
}
