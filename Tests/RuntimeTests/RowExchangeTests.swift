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

    /// The window transports: every rank knows every rank's rows, so a sender knows where its
    /// runs start in each receiver's region (after the runs of lower ranks), and which run a send
    /// position belongs to (empty runs skipped).
    @Test func rowsInTheReceiversRegionsFollowLowerRanksRuns() {
        // rows[source][destination]: rank 1 sends 2, 0, 3 rows to ranks 0, 1, 2.
        let rows = [[1, 4, 2], [2, 0, 3], [5, 1, 0]]
        let window = RowExchange(rows: rows, rank: 1)
        #expect(window.sendCounts == [2, 0, 3] && window.receiveCounts == [4, 0, 1])
        #expect(window.remoteOffsets == [1, 4, 2])
        #expect((0..<5).map(window.destination(of:)) == [0, 0, 2, 2, 2])
        #expect((0..<5).map { window.remoteRow($0).row } == [1, 2, 2, 3, 4])
        let leadingEmpty = RowExchange(rows: [[0, 2], [3, 1]], rank: 0)
        #expect((0..<2).map(leadingEmpty.destination(of:)) == [1, 1])
    }

    /// Hierarchical relays: a node's rank with the sender's local index, wrapping in a smaller node.
    @Test func relaysAreRailAligned() {
        let layout = NodeLayout(nodeOf: [0, 0, 1, 1, 2])
        #expect(layout.members == [[0, 1], [2, 3], [4]] && layout.localIndex == [0, 1, 0, 1, 0])
        #expect(layout.relay(for: 1, in: 1) == 3 && layout.relay(for: 0, in: 1) == 2 && layout.relay(for: 1, in: 2) == 4)
        #expect(layout.relay(for: 4, in: 0) == 0)
    }
}
