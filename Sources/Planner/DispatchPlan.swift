import Kernels

/// One micro-batch's dispatch on the sending rank: the kept (token, choice) pairs ordered by
/// destination rank and, within a destination, by the expert slot they go to (then by pair), so
/// that the receiver gets, from each source, one contiguous run of rows per slot — and computes
/// on them in place, with no regrouping copy. Also: where each pair's result comes back.
public struct DispatchPlan: Sendable {
    public let keep: [Bool]
    /// Rows for each destination rank.
    public let sendCounts: [Int]
    /// Rows for each (destination, local slot), flattened `destination · slotsPerRank + slot`.
    public let slotCounts: [Int]
    public let slotsPerRank: Int
    public let rowCount: Int
    /// Position in send order of each pair (token·topK + choice); -1 when dropped. The combine
    /// returns each pair's result at the same position.
    public let position: [Int]

    /// `firstToken`: the job-wide number of the micro-batch's first token (rank · tokens + offset),
    /// which picks the replica serving each pair.
    public init(routing: GatingResult, keep: [Bool], placement: ExpertPlacement, firstToken: Int) {
        self.init(expertIDs: routing.expertIDs, topK: routing.topK, keep: keep, placement: placement, firstToken: firstToken)
    }

    /// The same from raw choices: `expertIDs` is tokens × `topK`, row-major.
    public init(expertIDs: [Int32], topK k: Int, keep: [Bool], placement: ExpertPlacement, firstToken: Int) {
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
}

/// A run of received rows that all go through one local expert slot: `count` rows starting at
/// row `offset` of the receive buffer.
public struct ExpertSegment: Sendable, Equatable {
    public init(slot: Int, offset: Int, count: Int) {
        self.slot = slot
        self.offset = offset
        self.count = count
    }

    public var slot: Int
    public var offset: Int
    public var count: Int

    /// The segments of a receive buffer laid out as sources in rank order, each source's rows
    /// grouped by slot: `counts[source][slot]`.
    public static func segments(counts: [[Int]]) -> [ExpertSegment] {
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
