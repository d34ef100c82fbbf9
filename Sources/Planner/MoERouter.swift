import Foundation
import Kernels
import Workload

/// The routing of a ``MoETask``'s tokens, as the runtime does it and the prediction replays it:
/// the tokens and the router weights drawn from the task's seed, the synthetic affinity, and
/// group-limited top-k with the balancing bias. The runtime's executor and single-rank reference
/// route through it on each rank; ``MoEDispatchPlanner`` routes every rank's tokens through it,
/// so a predicted dispatch is the runtime's, not an expectation.
public struct MoERouter: Sendable {
    public let task: MoETask
    /// Router weights, hidden × experts.
    public let weights: [Float]
    public let gating: GatingConfiguration

    // Stream numbering of the seeded generator (the experts' weights use other streams).
    public static let routerStream: UInt64 = 100
    public static func tokenStream(step: Int, rank: Int) -> UInt64 { 1 << 32 + UInt64(step) << 16 + UInt64(rank) }

    public init(task: MoETask) throws {
        self.task = task
        weights = MatrixGenerator(seed: task.seed).values(streamID: Self.routerStream, count: task.hidden * task.routedExperts,
                                                          scale: 1 / Float(task.hidden).squareRoot())
        gating = GatingConfiguration(routedExperts: task.routedExperts, groups: task.groups, topkGroups: task.topkGroups, topK: task.topK,
                                     scoreFunction: task.scoreFunction,
                                     routeScale: Float(task.routeScale))
        try gating.validate()
    }

    /// The tokens `rank` holds at `step`: `tokens × hidden`.
    public static func tokens(task: MoETask, step: Int, rank: Int) -> [Float] {
        MatrixGenerator(seed: task.seed).values(streamID: tokenStream(step: step, rank: rank), count: task.tokens * task.hidden)
    }

    /// Synthetic affinity added to the router logits at `step`: Zipf-like preference whose
    /// hot experts rotate by `drift × experts` positions per step.
    public func affinityOffsets(step: Int) -> [Float] {
        guard task.zipf > 0 else { return [Float](repeating: 0, count: task.routedExperts) }
        let shift = Int((task.drift * Double(task.routedExperts) * Double(step)).rounded(.down))
        return (0..<task.routedExperts).map { expert in
            let popularity = (expert + task.routedExperts - shift % task.routedExperts) % task.routedExperts
            return Float(-task.zipf * log(1 + Double(popularity)))
        }
    }

    /// Routes `count` tokens of `x` (rows × hidden).
    public func route(_ x: ArraySlice<Float>, count: Int, bias: [Float], offsets: [Float]) throws -> GatingResult {
        let h = task.hidden, e = task.routedExperts
        var logits = x.withUnsafeBufferPointer { xp in
            weights.withUnsafeBufferPointer { rp in routerLogits(x: xp, tokens: count, hidden: h, gateWeights: rp, experts: e) }
        }
        for token in 0..<count {
            for expert in 0..<e { logits[token * e + expert] += offsets[expert] }
        }
        return try logits.withUnsafeBufferPointer { lp in
            try bias.withUnsafeBufferPointer { bp in try gate(logits: lp, tokens: count, bias: bp, configuration: gating) }
        }
    }

    /// Every micro-batch of `x` (a rank's `tokens × hidden` at a step), routed in order.
    public func routeMicroBatches(_ x: [Float], bias: [Float], offsets: [Float]) throws -> [GatingResult] {
        let h = task.hidden, chunk = task.tokens / max(1, task.microBatches)
        return try (0..<max(1, task.microBatches)).map { batch in
            try route(x[(batch * chunk * h)..<((batch + 1) * chunk * h)], count: chunk, bias: bias, offsets: offsets)
        }
    }

    /// Which of `rank`'s (token, choice) pairs the capacity rule keeps, in (micro-batch, token,
    /// choice) order, given every rank's routed counts per expert (all kept without a capacity).
    public static func keepMask(task: MoETask, rank: Int, routings: [GatingResult], countsByRank: [[Int]]) -> [Bool] {
        let expertIDs = routings.flatMap(\.expertIDs)
        guard let factor = task.capacityFactor else { return [Bool](repeating: true, count: expertIDs.count) }
        let policy = CapacityPolicy(factor: factor, meanTokensPerExpert: task.meanTokensPerExpert(ranks: countsByRank.count))
        return CapacityPolicy.keepMask(expertIDs: expertIDs, allowance: policy.allowance(rank: rank, countsByRank: countsByRank))
    }

    /// One rank's dispatch plans, one per micro-batch, from its routings and keep mask.
    public static func dispatchPlans(task: MoETask, rank: Int, routings: [GatingResult], keep: [Bool],
                                     placement: ExpertPlacement) -> [DispatchPlan] {
        let k = task.topK, chunk = task.tokens / max(1, task.microBatches)
        return routings.indices.map { batch in
            DispatchPlan(routing: routings[batch], keep: Array(keep[(batch * chunk * k)..<((batch + 1) * chunk * k)]),
                         placement: placement, firstToken: rank * task.tokens + batch * chunk)
        }
    }
}
