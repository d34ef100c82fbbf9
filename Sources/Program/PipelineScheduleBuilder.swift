import Workload

/// Builds each rank stage's ordered list of ``PipelineAction``s for a schedule. The order is the
/// schedule; timing (and so the bubbles) comes from the event simulation, not from formulas.
public struct PipelineScheduleBuilder: Sendable {
    public let kind: PipelineScheduleKind
    public let layout: PipelineLayout

    public init(kind: PipelineScheduleKind, layout: PipelineLayout) {
        self.kind = kind
        self.layout = layout
    }

    /// The actions of rank stage `stage`.
    public func actions(stage: Int) -> [PipelineAction] {
        switch kind {
        case .oneFOneB: return oneFOneB(stage: stage)
        case .zb1p: return zeroBubble(stage: stage)
        case .interleaved: return interleaved(stage: stage)
        case .dualpipe: return dualPipe(stage: stage)
        }
    }

    /// 1F1B: PP−s−1 warm-up forwards, then alternate forward and backward, then drain.
    func oneFOneB(stage: Int) -> [PipelineAction] {
        let n = layout.microBatches
        let warm = min(layout.pp - stage - 1, n)
        var list: [PipelineAction] = (0..<warm).map { .forward(chunk: 0, microBatch: $0) }
        for i in 0..<(n - warm) {
            list.append(.forward(chunk: 0, microBatch: warm + i))
            list.append(.backward(chunk: 0, microBatch: i, weight: true))
        }
        for i in (n - warm)..<n { list.append(.backward(chunk: 0, microBatch: i, weight: true)) }
        return list
    }

    /// ZB-H1: 1F1B order with the backward split; the first PP−s−1 weight-gradient passes are
    /// deferred and fill the drain, one after each drain backward.
    func zeroBubble(stage: Int) -> [PipelineAction] {
        let n = layout.microBatches
        let warm = min(layout.pp - stage - 1, n)
        var list: [PipelineAction] = (0..<warm).map { .forward(chunk: 0, microBatch: $0) }
        var pending: [Int] = []
        for i in 0..<(n - warm) {
            list.append(.forward(chunk: 0, microBatch: warm + i))
            list.append(.backward(chunk: 0, microBatch: i, weight: false))
            pending.append(i)
            if pending.count > stage { list.append(.weight(chunk: 0, microBatch: pending.removeFirst())) }
        }
        // Drain: spread the deferred weight passes evenly over the gaps between backward passes,
        // keeping one for after the last backward.
        for i in (n - warm)..<n {
            list.append(.backward(chunk: 0, microBatch: i, weight: false))
            pending.append(i)
            let slotsLeft = n - i
            let take = i == n - 1 ? pending.count : max(1, (pending.count - 1) / slotsLeft)
            for _ in 0..<min(take, pending.count) { list.append(.weight(chunk: 0, microBatch: pending.removeFirst())) }
        }
        return list
    }

    /// Megatron's interleaved 1F1B with v chunks per rank. Micro-batches go in groups of PP, the
    /// last group taking what is left (so the count need not be a multiple of PP: Megatron-Core's
    /// schedule table, `microbatch_group_size_per_vp_stage` = PP); each group runs chunk 0 for all
    /// its micro-batches, then chunk 1, …; backward visits the same order with the chunks reversed.
    /// Warm-up: 2(PP − s − 1) + (v − 1)·PP forwards, at most all of them.
    func interleaved(stage: Int) -> [PipelineAction] {
        let p = layout.pp, v = layout.chunksPerRank, n = layout.microBatches
        let table = Self.interleavedTable(microBatches: n, chunks: v, group: p)
        let total = table.count
        let warm = min((p - stage - 1) * 2 + (v - 1) * p, total)
        func forward(_ k: Int) -> PipelineAction { .forward(chunk: table[k].chunk, microBatch: table[k].microBatch) }
        func backward(_ k: Int) -> PipelineAction { .backward(chunk: v - 1 - table[k].chunk, microBatch: table[k].microBatch, weight: true) }
        var list: [PipelineAction] = (0..<warm).map(forward)
        for k in 0..<(total - warm) {
            list.append(forward(warm + k))
            list.append(backward(k))
        }
        for k in (total - warm)..<total { list.append(backward(k)) }
        return list
    }

    /// The interleaved schedule's order of (micro-batch, chunk): groups of `group` micro-batches
    /// (the last one shorter when `group` does not divide the count), chunk by chunk within a group.
    static func interleavedTable(microBatches n: Int, chunks v: Int, group: Int) -> [(microBatch: Int, chunk: Int)] {
        var table: [(microBatch: Int, chunk: Int)] = []
        table.reserveCapacity(n * v)
        for first in stride(from: 0, to: n, by: max(1, group)) {
            let end = min(n, first + max(1, group))
            for chunk in 0..<v { for microBatch in first..<end { table.append((microBatch, chunk)) } }
        }
        return table
    }

    /// DualPipe (deepseek-ai/DualPipe, eight steps per rank). Phase p of a rank in the first half
    /// is chunk p; in the second half the phases are mirrored. Micro-batches of chunk c are
    /// c·N/2 … c·N/2 + N/2 − 1.
    func dualPipe(stage: Int) -> [PipelineAction] {
        let p = layout.pp, half = p / 2, n = layout.microBatches, halfN = n / 2
        let halfRank = min(stage, p - 1 - stage)
        let secondHalf = stage >= half
        let isMiddle = halfRank == half - 1
        var nextForward = [0, 0], nextBackward = [0, 0]
        var weights: [(Int, Int)] = []
        var list: [PipelineAction] = []
        func chunk(_ phase: Int) -> Int { secondHalf ? 1 - phase : phase }
        func takeForward(_ phase: Int) -> (Int, Int) {
            defer { nextForward[phase] += 1 }
            return (chunk(phase), chunk(phase) * halfN + nextForward[phase])
        }
        func takeBackward(_ phase: Int) -> (Int, Int) {
            defer { nextBackward[phase] += 1 }
            return (chunk(phase), chunk(phase) * halfN + nextBackward[phase])
        }
        func forward(_ phase: Int) {
            let (c, m) = takeForward(phase)
            list.append(.forward(chunk: c, microBatch: m))
        }
        func backward(_ phase: Int, zeroBubble: Bool) {
            let (c, m) = takeBackward(phase)
            list.append(.backward(chunk: c, microBatch: m, weight: !zeroBubble))
            if zeroBubble { weights.append((c, m)) }
        }
        func weight() {
            let (c, m) = weights.removeFirst()
            list.append(.weight(chunk: c, microBatch: m))
        }
        func overlapped(_ forwardPhase: Int, _ backwardPhase: Int) {
            let (fc, fm) = takeForward(forwardPhase)
            let (bc, bm) = takeBackward(backwardPhase)
            list.append(.overlapped(forwardChunk: fc, forwardMicroBatch: fm, backwardChunk: bc, backwardMicroBatch: bm))
        }
        // Step 1: nF0.
        for _ in 0..<((half - halfRank - 1) * 2) { forward(0) }
        // Step 2: nF0F1.
        for _ in 0..<(halfRank + 1) { forward(0); forward(1) }
        // Step 3: nB1W1F1 (zero bubble).
        for _ in 0..<(half - halfRank - 1) { backward(1, zeroBubble: true); weight(); forward(1) }
        // Step 4 (main): nF0B1F1B0.
        for i in 0..<(halfN - p + halfRank + 1) {
            if i == 0 && isMiddle {
                forward(0)
                backward(1, zeroBubble: false)
            } else {
                overlapped(0, 1)
            }
            overlapped(1, 0)
        }
        // Step 5: nB1F1B0.
        for _ in 0..<(half - halfRank - 1) { backward(1, zeroBubble: false); overlapped(1, 0) }
        // Step 6: nB1B0 (the second half with zero bubble).
        let step6 = halfRank + 1
        var zeroBubble = false
        for i in 0..<step6 {
            if i == step6 / 2 && halfRank % 2 == 1 { zeroBubble = true }
            backward(1, zeroBubble: zeroBubble)
            if i == step6 / 2 && halfRank % 2 == 0 { zeroBubble = true }
            backward(0, zeroBubble: zeroBubble)
        }
        // Step 7: nWB0 (zero bubble).
        for _ in 0..<(half - halfRank - 1) { weight(); backward(0, zeroBubble: true) }
        // Step 8: nW.
        while !weights.isEmpty { weight() }
        return list
    }
}
