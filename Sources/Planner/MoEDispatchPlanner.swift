import Kernels
import Workload

/// Plans a MoE task's steps the way the runtime runs them, step after step: every rank's tokens
/// drawn from the seed and routed by ``MoERouter`` (with the balancing bias of the step), the
/// capacity rule applied in (rank, token, choice) order, each rank's ``DispatchPlan``s made over
/// the step's ``ExpertPlacement``, then the received runs gathered per destination; the step's
/// loads update ``MoEBalanceState`` for the next one (auxiliary-loss-free bias, EPLB placement).
/// These are the functions the runtime's executor calls on each rank, so a skewed load gives
/// the same per-rank rows in the prediction as in the run.
///
/// Routing every rank costs about `ranks × tokens × hidden × experts` multiply-adds per step.
/// Beyond its budget (``routingBudget`` by default) the step is estimated from a sample
/// (``MoEStepDispatch/isExact`` is then false): the first ranks that fit are routed and the
/// rest are taken to route like them; when one rank alone does not fit, the first tokens of
/// rank 0 that do (at least ``minimumSampledTokens``, through a router narrowed to a width that
/// fits — its logits, scaled by 1/√width, have the same spread). Each expert's load is the
/// sample's scaled to every token of every rank, capacity caps it, and its rows split evenly
/// over its replicas, source ranks and micro-batches. So no task the job decoder accepts takes
/// more than a few budgets to predict.
public struct MoEDispatchPlanner: Sendable {
    public let task: MoETask
    public let ranks: Int
    /// The router of ``routedTask``: the task's own, or a narrowed one for a token sample.
    public let router: MoERouter
    /// What one routed rank routes per step: the task itself, or (one rank over the budget) its
    /// first ``MoETask/tokens`` tokens at ``MoETask/hidden`` width in one micro-batch.
    public let routedTask: MoETask
    /// Ranks whose tokens one step routes: all when they fit in the budget, else as many as fit (at least one).
    public let routedRanks: Int
    public private(set) var balance: MoEBalanceState
    /// The step ``next()`` plans.
    public private(set) var step = 0
    /// Ranks per node for the rows that cross nodes (``MoEStepDispatch/Rank/rowsSentToOtherNodes``):
    /// consecutive ranks, as the runtime groups a job's virtual nodes (`[cluster] gpusPerNode`)
    /// on one host; default every rank in one node.
    public var nodeRanks: Int

    /// Router multiply-adds (plus token draws) one step may route exactly: about 30 ms, so a
    /// prediction (a few budgets in all) stays well under a second; larger steps are sampled.
    public static let routingBudget = 1 << 26
    /// Fewest tokens a sample of one rank routes (a narrower router rather than fewer tokens).
    public static let minimumSampledTokens = 256

    /// A task that cannot be placed on the ranks (a decoded job file never is one).
    public struct ShapeError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Router work one step may route exactly (default ``routingBudget``).
    public let budget: Int

    public init(task: MoETask, ranks: Int, routingBudget: Int = MoEDispatchPlanner.routingBudget) throws {
        let slots: Int
        if case .eplb(let redundant, _) = task.balance { slots = task.routedExperts + redundant } else { slots = task.routedExperts }
        guard ranks >= 1, task.routedExperts >= 1, slots % ranks == 0, task.routedExperts % ranks == 0, task.gpusPerNode >= 1,
              ranks % task.gpusPerNode == 0, task.groups >= 1, task.routedExperts % task.groups == 0, task.microBatches >= 1,
              task.tokens % task.microBatches == 0 else {
            throw ShapeError(description: "MoE task \(task.name): \(task.routedExperts) experts do not fit on \(ranks) ranks")
        }
        self.task = task
        self.ranks = ranks
        budget = max(1, routingBudget)
        let rankWork = Self.routingWork(task, slots: slots)
        routedRanks = max(1, min(ranks, budget / rankWork))
        routedTask = rankWork <= budget ? task : Self.tokenSample(task, budget: budget)
        router = try MoERouter(task: routedTask)
        balance = MoEBalanceState(task: task, ranks: ranks)
        nodeRanks = ranks
    }

    /// Router multiply-adds and token draws of one rank routing `task`'s tokens, plus the
    /// dispatch plans' per-slot counts (`slots` over all ranks per micro-batch); saturating.
    static func routingWork(_ task: MoETask, slots: Int) -> Int {
        let perToken = task.hidden.multipliedReportingOverflow(by: task.routedExperts + 1)
        let tokens = perToken.partialValue.multipliedReportingOverflow(by: task.tokens)
        let plans = slots.multipliedReportingOverflow(by: task.microBatches)
        guard !perToken.overflow, !tokens.overflow, !plans.overflow else { return Int.max }
        let (work, overflow) = tokens.partialValue.addingReportingOverflow(plans.partialValue)
        return overflow ? Int.max : max(1, work)
    }

    /// The first tokens of one rank that fit in `budget`: at least ``minimumSampledTokens``
    /// (or all, or as many as fit at width 1), at a narrower router width when that many do not
    /// fit at the task's.
    static func tokenSample(_ task: MoETask, budget: Int) -> MoETask {
        let perWidth = task.routedExperts + 1
        let fitAtFullWidth = budget / max(1, task.hidden * perWidth)
        var sample = task
        sample.microBatches = 1
        sample.capacityFactor = nil
        let fitAtWidthOne = max(1, budget / perWidth)
        sample.tokens = min(task.tokens, max(fitAtFullWidth, min(minimumSampledTokens, fitAtWidthOne)))
        sample.hidden = min(task.hidden, max(1, budget / (sample.tokens * perWidth)))
        return sample
    }

    /// Whether a step routes all of each routed rank's tokens at the task's width.
    public var routesWholeRanks: Bool { routedTask.tokens == task.tokens && routedTask.hidden == task.hidden }

    /// Router work of one planned step (``routedRanks`` ranks), saturating.
    public var routingWork: Int {
        let slots = balance.placement.slotExpert.count
        let (work, overflow) = Self.routingWork(routedTask, slots: slots).multipliedReportingOverflow(by: routedRanks)
        return overflow ? Int.max : work
    }

    /// The dispatch of the next step; records its loads into the balancing state.
    public mutating func next() throws -> MoEStepDispatch {
        let offsets = router.affinityOffsets(step: step)
        var routings: [[GatingResult]] = []
        for rank in 0..<routedRanks {
            let x = MoERouter.tokens(task: routedTask, step: step, rank: rank)
            routings.append(try router.routeMicroBatches(x, bias: balance.bias, offsets: offsets))
        }
        let countsByRank = routings.map { batches in
            (0..<task.routedExperts).map { expert in batches.reduce(0) { $0 + $1.tokensPerExpert[expert] } }
        }
        let dispatch = routedRanks == ranks && routesWholeRanks ? exact(routings: routings, countsByRank: countsByRank)
                                                                : estimated(countsByRank: countsByRank)
        balance.record(loads: dispatch.loads)
        step += 1
        return dispatch
    }

    /// Every rank routed: each rank's plans, exactly as its executor makes them.
    func exact(routings: [[GatingResult]], countsByRank: [[Int]]) -> MoEStepDispatch {
        let placement = balance.placement, slots = placement.slotsPerRank
        var result = MoEStepDispatch(step: step, ranks: Array(repeating: .init(), count: ranks),
                                     loads: (0..<task.routedExperts).map { expert in countsByRank.reduce(0) { $0 + $1[expert] } },
                                     droppedPairs: 0, routedRanks: ranks)
        var runs = [[Int: Int]](repeating: [:], count: ranks)
        for source in 0..<ranks {
            let keep = MoERouter.keepMask(task: task, rank: source, routings: routings[source], countsByRank: countsByRank)
            result.droppedPairs += keep.reduce(0) { $0 + ($1 ? 0 : 1) }
            for plan in MoERouter.dispatchPlans(task: task, rank: source, routings: routings[source], keep: keep, placement: placement) {
                countCrossings(plan, source: source, into: &result)
                for destination in 0..<ranks {
                    for slot in 0..<slots {
                        let rows = plan.slotCounts[destination * slots + slot]
                        if rows > 0 { runs[destination][rows, default: 0] += 1 }
                    }
                    let rows = plan.sendCounts[destination]
                    result.ranks[destination].rowsReceived += rows
                    guard destination != source else { continue }
                    result.ranks[source].rowsSentToPeers += rows
                    result.ranks[destination].rowsReceivedFromPeers += rows
                }
            }
        }
        result.nodes = (ranks + max(1, min(nodeRanks, ranks)) - 1) / max(1, min(nodeRanks, ranks))
        for rank in 0..<ranks {
            result.ranks[rank].segments = runs[rank].map { MoEStepDispatch.Rows(rows: $0.key, segments: $0.value) }.sorted()
        }
        return result
    }

    /// The rows of `source`'s micro-batch `plan` that cross nodes: per pair, and per token and
    /// destination node, relayed by that node's rank with the source's local index (as the
    /// runtime's ``NodeLayout`` does on one host).
    func countCrossings(_ plan: DispatchPlan, source: Int, into result: inout MoEStepDispatch) {
        let g = max(1, min(nodeRanks, ranks)), k = task.topK
        var offsets = [Int](repeating: 0, count: ranks), total = 0
        for (rank, count) in plan.sendCounts.enumerated() { offsets[rank] = total; total += count }
        // The last run starting at or before a position holds it (an empty run shares its start with the next).
        func destination(_ position: Int) -> Int {
            var low = 0, high = ranks - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if offsets[middle] <= position { low = middle } else { high = middle - 1 }
            }
            return low
        }
        var lastToken = -1, reached: Set<Int> = []
        for (pair, position) in plan.position.enumerated() where position >= 0 {
            let to = destination(position), node = to / g
            guard node != source / g else { continue }
            let relay = min(ranks - 1, node * g + source % g)
            result.ranks[source].pairsSentToOtherNodes += 1
            result.ranks[to].pairsReceivedFromOtherNodes += 1
            result.ranks[relay].pairsRelayedIn += 1
            if pair / k != lastToken { lastToken = pair / k; reached = [] }
            if reached.insert(node).inserted {
                result.ranks[source].rowsSentToOtherNodes += 1
                result.ranks[relay].rowsRelayedIn += 1
            }
        }
    }

    /// A leading sample routed: loads scaled to every token of every rank, capped by the
    /// capacity, each slot's rows split evenly over source ranks and micro-batches.
    func estimated(countsByRank: [[Int]]) -> MoEStepDispatch {
        let placement = balance.placement, slots = placement.slotsPerRank, sample = countsByRank.count
        let scale = Double(ranks) / Double(sample) * Double(task.tokens) / Double(routedTask.tokens)
        let loads = (0..<task.routedExperts).map { expert in
            Int((Double(countsByRank.reduce(0) { $0 + $1[expert] }) * scale).rounded())
        }
        let capacity = task.capacityFactor.map { CapacityPolicy(factor: $0, meanTokensPerExpert: task.meanTokensPerExpert(ranks: ranks)).capacity }
        let kept = loads.map { min($0, capacity ?? $0) }
        var result = MoEStepDispatch(step: step, ranks: Array(repeating: .init(), count: ranks), loads: loads,
                                     droppedPairs: zip(loads, kept).reduce(0) { $0 + $1.0 - $1.1 }, routedRanks: sample,
                                     routedTokens: routesWholeRanks ? nil : routedTask.tokens)
        let pieces = ranks * task.microBatches, peers = Double(ranks - 1) / Double(ranks)
        let sentPerRank = Int((Double(kept.reduce(0, +)) / Double(ranks) * peers).rounded())
        for rank in 0..<ranks {
            var runs: [Int: Int] = [:]
            for slot in placement.experts(on: rank).indices.map({ rank * slots + $0 }) {
                let expert = placement.slotExpert[slot]
                // Replicas take turns: the first `kept % copies` get one row more.
                let copies = placement.replicas[expert].count, replica = placement.replicas[expert].firstIndex(of: slot) ?? 0
                let rows = kept[expert] / copies + (replica < kept[expert] % copies ? 1 : 0)
                result.ranks[rank].rowsReceived += rows
                if rows >= pieces {
                    runs[rows / pieces + 1, default: 0] += rows % pieces
                    runs[rows / pieces, default: 0] += pieces - rows % pieces
                } else if rows > 0 {
                    runs[1, default: 0] += rows
                }
            }
            runs[0] = nil
            result.ranks[rank].segments = runs.map { MoEStepDispatch.Rows(rows: $0.key, segments: $0.value) }.sorted()
            result.ranks[rank].rowsReceivedFromPeers = Int((Double(result.ranks[rank].rowsReceived) * peers).rounded())
            result.ranks[rank].rowsSentToPeers = sentPerRank
        }
        return result
    }
}
