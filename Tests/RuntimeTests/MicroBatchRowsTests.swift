import Testing
@testable import Runtime

/// Packing a micro-batch's rows (``MicroBatchRows/pack(_:skip:fill:)``): every kept pair once, in
/// pair order, at the target ``MicroBatchRows/packTarget(_:)`` gives — the prefetch one row ahead
/// must not reorder, drop or repeat a row.
@Suite struct MicroBatchRowsTests {
    @Test func packFillsEveryKeptPairOnceInOrderAtItsTarget() throws {
        // Rank 1 of 3 sends 2, 3, 1 rows to ranks 0, 1, 2 (send positions 0…5).
        let exchange = RowExchange(sendCounts: [2, 3, 1], receiveCounts: [4, 3, 0], rank: 1)
        let buffers = DispatchBuffers()
        try buffers.reserve(sendRows: 6, receiveRows: 7, hidden: 2)
        let rows = MicroBatchRows(exchange: exchange, buffers: buffers, hidden: 2)
        // Pairs 0…7: two dropped (-1); position 4 packed elsewhere (skip).
        let positions = [3, -1, 0, 5, 4, 1, -1, 2]
        var filled: [(pair: Int, target: UnsafeMutablePointer<Float>)] = []
        rows.pack(positions, skip: { $0 == 4 }) { filled.append(($0, $1)) }
        #expect(filled.map(\.pair) == [0, 2, 3, 5, 7])
        #expect(filled.map(\.target) == [3, 0, 5, 1, 2].map(rows.packTarget))

        var none: [Int] = []
        rows.pack([-1, -1]) { pair, _ in none.append(pair) }
        rows.pack([]) { pair, _ in none.append(pair) }
        #expect(none.isEmpty)
        var one: [Int] = []
        rows.pack([-1, 2]) { pair, _ in one.append(pair) }
        #expect(one == [1])
    }
}
