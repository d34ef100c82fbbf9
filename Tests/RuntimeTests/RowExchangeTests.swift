import Testing
@testable import Runtime

/// The own-block bypass of the MoE exchange: which rows go through MPI, where own rows are
/// packed and where every pair's result is read back.
@Suite struct RowExchangeTests {
    // Rank 1 of 3 sends 2, 3, 1 rows to ranks 0, 1, 2 and receives 4, 3, 0 from them.
    let exchange = RowExchange(sendCounts: [2, 3, 1], receiveCounts: [4, 3, 0], rank: 1)

    @Test func runsAreBackToBack() {
        #expect(exchange.sendOffsets == [0, 2, 5])
        #expect(exchange.receiveOffsets == [0, 4, 7])
        #expect(RowExchange.offsets([]) == [])
    }

    @Test func ownRowsArePackedIntoTheReceiveBufferOthersIntoTheSendBuffer() {
        let h = 2
        let send = UnsafeMutablePointer<Float>.allocate(capacity: 6 * h), receive = UnsafeMutablePointer<Float>.allocate(capacity: 7 * h)
        defer { send.deallocate(); receive.deallocate() }
        // Send positions 2, 3, 4 are rank 1's own run: receive rows 4, 5, 6.
        let targets = (0..<6).map { exchange.packTarget($0, send: send, receive: receive, hidden: h) }
        #expect(targets == [send, send + 2, receive + 8, receive + 10, receive + 12, send + 10])
    }

    @Test func ownResultsAreReadWhereTheExpertsWroteThem() {
        let h = 3
        // One allocation: `returned` at element 0, the expert output at element 100.
        let base = UnsafeMutablePointer<Float>.allocate(capacity: 200)
        defer { base.deallocate() }
        let offsets: [Int] = (0..<6).map { exchange.resultRow($0, returned: base, expertOutput: base + 100, hidden: h) - UnsafePointer(base) }
        #expect(offsets == [0, 3, 112, 115, 118, 15])
    }

    @Test func aRankWithNoOwnRowsSendsEverythingThroughMPI() {
        let alone = RowExchange(sendCounts: [0, 5], receiveCounts: [0, 2], rank: 0)
        let send = UnsafeMutablePointer<Float>.allocate(capacity: 5), receive = UnsafeMutablePointer<Float>.allocate(capacity: 2)
        defer { send.deallocate(); receive.deallocate() }
        #expect((0..<5).allSatisfy { alone.packTarget($0, send: send, receive: receive, hidden: 1) == send + $0 })
    }
}
