import Kernels
import MPIKit
import Planner

/// One micro-batch's dispatch on the sending rank: the kept (token, choice) pairs ordered by
/// destination rank and, within a destination, by the expert slot they go to (then by pair), so
/// that the receiver gets, from each source, one contiguous run of rows per slot — and computes
/// on them in place, with no regrouping copy. Also: where each pair's result comes back.
struct DispatchPlan {
    let keep: [Bool]
    /// Rows for each destination rank.
    let sendCounts: [Int]
    /// Rows for each (destination, local slot), flattened `destination · slotsPerRank + slot`.
    let slotCounts: [Int]
    let slotsPerRank: Int
    let rowCount: Int
    /// Position in send order of each pair (token·topK + choice); -1 when dropped. The combine
    /// returns each pair's result at the same position.
    let position: [Int]

    /// `firstToken`: the job-wide number of the micro-batch's first token (rank · tokens + offset),
    /// which picks the replica serving each pair.
    init(routing: GatingResult, keep: [Bool], placement: ExpertPlacement, firstToken: Int) {
        self.init(expertIDs: routing.expertIDs, topK: routing.topK, keep: keep, placement: placement, firstToken: firstToken)
    }

    /// The same from raw choices: `expertIDs` is tokens × `topK`, row-major.
    init(expertIDs: [Int32], topK k: Int, keep: [Bool], placement: ExpertPlacement, firstToken: Int) {
        self.keep = keep
        slotsPerRank = placement.slotsPerRank
        let slots = expertIDs.enumerated().map { pair, expert in
            placement.slot(for: Int(expert), pair: (firstToken + pair / k) * k + pair % k)
        }
        // Global slot s = destination · slotsPerRank + local slot, so ordering by s orders by
        // destination, then slot.
        var perSlot = [Int](repeating: 0, count: placement.ranks * slotsPerRank)
        for (pair, slot) in slots.enumerated() where keep[pair] { perSlot[slot] += 1 }
        var next = [Int](repeating: 0, count: perSlot.count)
        for slot in 1..<max(1, perSlot.count) { next[slot] = next[slot - 1] + perSlot[slot - 1] }
        var position = [Int](repeating: -1, count: keep.count)
        for (pair, slot) in slots.enumerated() where keep[pair] {
            position[pair] = next[slot]
            next[slot] += 1
        }
        slotCounts = perSlot
        let perRank = placement.slotsPerRank
        sendCounts = (0..<placement.ranks).map { rank in perSlot[(rank * perRank)..<((rank + 1) * perRank)].reduce(0, +) }
        rowCount = perSlot.reduce(0, +)
        self.position = position
    }

    /// Packs each kept pair's token row of `x` (tokens × hidden) in send order: into `send`,
    /// or for this rank's own experts straight into `receive` (see ``RowExchange``).
    func pack(_ x: ArraySlice<Float>, hidden h: Int, topK k: Int, exchange: RowExchange,
              send: CommBuffer<Float>, receive: CommBuffer<Float>) {
        precondition(send.count >= rowCount * h, "DispatchPlan: send buffer too small")
        precondition(receive.count >= (exchange.receiveOffsets[exchange.rank] + sendCounts[exchange.rank]) * h,
                     "DispatchPlan: receive buffer too small")
        x.withUnsafeBufferPointer { source in
            send.withUnsafeMutableBufferPointer { sendRows in
                receive.withUnsafeMutableBufferPointer { receiveRows in
                    for (pair, slot) in position.enumerated() where slot >= 0 {
                        exchange.packTarget(slot, send: sendRows.baseAddress!, receive: receiveRows.baseAddress!, hidden: h)
                            .update(from: source.baseAddress! + (pair / k) * h, count: h)
                    }
                }
            }
        }
    }
}

/// A run of received rows that all go through one local expert slot: `count` rows starting at
/// row `offset` of the receive buffer.
struct ExpertSegment: Equatable {
    var slot: Int
    var offset: Int
    var count: Int

    /// The segments of a receive buffer laid out as sources in rank order, each source's rows
    /// grouped by slot: `counts[source][slot]`.
    static func segments(counts: [[Int]]) -> [ExpertSegment] {
        var result: [ExpertSegment] = []
        var offset = 0
        for source in counts {
            for (slot, count) in source.enumerated() {
                if count > 0 { result.append(ExpertSegment(slot: slot, offset: offset, count: count)) }
                offset += count
            }
        }
        return result
    }
}

/// Communication buffers of one micro-batch, kept across steps and grown only when a step
/// needs more: a dispatch does not allocate (or zero) megabytes each time.
final class DispatchBuffers {
    private(set) var sendRows = CommBuffer<Float>(count: 0)
    private(set) var receiveRows = CommBuffer<Float>(count: 0)
    private(set) var combineSend = CommBuffer<Float>(count: 0)
    private(set) var combineReceive = CommBuffer<Float>(count: 0)

    /// Makes room for `sendRows` rows out and `receiveRows` rows in, `hidden` floats each; an
    /// element count that overflows or cannot be allocated is an ``MPIError``, never a trap.
    func reserve(sendRows send: Int, receiveRows receive: Int, hidden h: Int) throws(MPIError) {
        func elements(_ rows: Int) throws(MPIError) -> Int {
            let (product, overflow) = rows.multipliedReportingOverflow(by: h)
            guard !overflow, product >= 0 else {
                throw MPIError(function: "CommBuffer", invalidArgument: "\(rows) rows of \(h) floats overflow a buffer size")
            }
            return product
        }
        let sendElements = try elements(send), receiveElements = try elements(receive)
        if sendRows.count < sendElements {
            sendRows = try CommBuffer.make(count: sendElements); combineReceive = try CommBuffer.make(count: sendElements)
        }
        if receiveRows.count < receiveElements {
            receiveRows = try CommBuffer.make(count: receiveElements); combineSend = try CommBuffer.make(count: receiveElements)
        }
    }
}
