import Kernels
import MPIKit
import Planner

/// One micro-batch's dispatch on the sending rank: the kept (token, choice) pairs ordered by
/// destination rank (pairs of one destination keep their (token, choice) order), how many go to
/// each rank, and where each pair's result comes back in the combine.
struct DispatchPlan {
    let keep: [Bool]
    /// Rows for each destination rank.
    let sendCounts: [Int]
    let rowCount: Int
    /// Position in send order of each pair (token·topK + choice); -1 when dropped.
    let position: [Int]
    /// Each sent row's expert as the receiving rank's local slot, in send order.
    let localSlots: [Int32]

    /// `firstToken`: the job-wide number of the micro-batch's first token (rank · tokens + offset),
    /// which picks the replica serving each pair.
    init(routing: GatingResult, keep: [Bool], placement: ExpertPlacement, firstToken: Int) {
        self.init(expertIDs: routing.expertIDs, topK: routing.topk, keep: keep, placement: placement, firstToken: firstToken)
    }

    /// The same from raw choices: `expertIDs` is tokens × `topK`, row-major.
    init(expertIDs: [Int32], topK k: Int, keep: [Bool], placement: ExpertPlacement, firstToken: Int) {
        self.keep = keep
        let slots = expertIDs.enumerated().map { pair, expert in
            placement.slot(for: Int(expert), pair: (firstToken + pair / k) * k + pair % k)
        }
        var counts = [Int](repeating: 0, count: placement.ranks)
        for (pair, slot) in slots.enumerated() where keep[pair] { counts[placement.rank(ofSlot: slot)] += 1 }
        var next = [Int](repeating: 0, count: placement.ranks)
        for peer in 1..<max(1, placement.ranks) { next[peer] = next[peer - 1] + counts[peer - 1] }
        var position = [Int](repeating: -1, count: keep.count)
        var localSlots = [Int32](repeating: 0, count: counts.reduce(0, +))
        for (pair, slot) in slots.enumerated() where keep[pair] {
            let peer = placement.rank(ofSlot: slot)
            position[pair] = next[peer]
            localSlots[next[peer]] = Int32(placement.localSlot(slot))
            next[peer] += 1
        }
        sendCounts = counts
        rowCount = localSlots.count
        self.position = position
        self.localSlots = localSlots
    }

    /// Packs each kept pair's token row of `x` (tokens × hidden) into `rows` in send order, and
    /// the rows' local slots into `slots`.
    func pack(_ x: ArraySlice<Float>, hidden h: Int, topK k: Int, rows: CommBuffer<Float>, slots: CommBuffer<Int32>) {
        precondition(rows.count >= rowCount * h && slots.count >= rowCount, "DispatchPlan: send buffers too small")
        x.withUnsafeBufferPointer { source in
            rows.withUnsafeMutableBufferPointer { target in
                for (pair, slot) in position.enumerated() where slot >= 0 {
                    let token = pair / k
                    UnsafeMutableRawPointer(target.baseAddress! + slot * h)
                        .copyMemory(from: source.baseAddress! + token * h, byteCount: h * MemoryLayout<Float>.size)
                }
            }
        }
        slots.withUnsafeMutableBufferPointer { target in
            for (index, slot) in localSlots.enumerated() { target[index] = slot }
        }
    }

    /// Each pair's returned row, in (token, choice) order; zeros for dropped pairs.
    func pairOutputs(from combined: CommBuffer<Float>, hidden h: Int) -> [Float] {
        var result = [Float](repeating: 0, count: position.count * h)
        combined.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                for (pair, slot) in position.enumerated() where slot >= 0 {
                    UnsafeMutableRawPointer(target.baseAddress! + pair * h)
                        .copyMemory(from: source.baseAddress! + slot * h, byteCount: h * MemoryLayout<Float>.size)
                }
            }
        }
        return result
    }
}

/// Communication buffers of one micro-batch, kept across steps and grown only when a step
/// needs more: a dispatch does not allocate (or zero) megabytes of pinned-size buffers each time.
final class DispatchBuffers {
    private(set) var sendRows = CommBuffer<Float>(count: 0)
    private(set) var sendSlots = CommBuffer<Int32>(count: 0)
    private(set) var receiveRows = CommBuffer<Float>(count: 0)
    private(set) var receiveSlots = CommBuffer<Int32>(count: 0)
    private(set) var combineSend = CommBuffer<Float>(count: 0)
    private(set) var combineReceive = CommBuffer<Float>(count: 0)

    /// Makes room for `sendRows` rows out and `receiveRows` rows in, `hidden` floats each.
    func reserve(sendRows send: Int, receiveRows receive: Int, hidden h: Int) {
        if sendRows.count < send * h { sendRows = CommBuffer(count: send * h); combineReceive = CommBuffer(count: send * h) }
        if sendSlots.count < send { sendSlots = CommBuffer(count: send) }
        if receiveRows.count < receive * h { receiveRows = CommBuffer(count: receive * h); combineSend = CommBuffer(count: receive * h) }
        if receiveSlots.count < receive { receiveSlots = CommBuffer(count: receive) }
    }
}
