import Program
import Foundation
import Synchronization
import Hardware
import Workload

/// A closed-form step time for ranking many configurations fast (the event simulation takes about
/// a second per configuration at 2048 GPUs; this takes microseconds).
///
/// Built from the simulator's own lowering (``TrainingWork``: each block's GEMMs, attention,
/// memory-bound kernels and all-to-alls) and its own cost functions (``OpCostModel``), but with
/// uniform expert load (every expert gets
/// `tokens·ep·topK / experts` rows) and the pipeline timed by formula instead of by events:
///
/// - **Compute**: per block and micro-batch, forward / input-gradient / weight-gradient GEMMs,
///   attention kernels and memory-bound kernels as the lowering counts them; the bottleneck
///   rank stage (the one with the most work) sets the pace: n·Σchunks(F + B + W) for one-direction
///   schedules, n/2·Σchunks for DualPipe (each micro-batch visits one of a rank's two chunks).
/// - **Bubble** (HARDWARE.md "Pipeline schedules", F and B per chunk of the bottleneck rank, B the
///   full backward, both including their exposed all-to-alls): 1F1B (PP−1)(F+B); interleaved
///   (PP−1)(F+B) per chunk (= rank totals / v); ZB1P (PP−1)(F+B−2W); DualPipe
///   (PP/2−1)(F&B+B−3W) with F&B the overlapped pair; plus 2(PP−1) activation transfers.
/// - **Exposed all-to-all**: one-direction schedules expose every dispatch and combine (a chain
///   waits for its own all-to-all); DualPipe hides a pair's all-to-alls under the other chunk's
///   compute and exposes max(0, comm − compute) per overlapped pair, and everything in the
///   ≈PP forward and PP backward chunks of warm-up and drain that run alone.
/// - **DP sync and optimizer**: gradient reduce-scatter (all-reduce at ZeRO-0), optimizer and
///   parameter all-gather (ZeRO ≥ 1) of the worst stage, not overlapped, as the simulator places them;
///   with bucketed gradient reduction, the reduction less one micro-batch's backward of the rank,
///   with prefetched parameter gathers, the gather less one micro-batch's forward (each at least
///   one bucket's share).
public struct AnalyticalStepEstimate: Sendable, Equatable {
    /// Predicted step.
    public var stepSeconds = 0.0
    /// Compute of the bottleneck rank (forward, backward, weight gradients, recompute).
    public var computeSeconds = 0.0
    /// Pipeline bubble, transfers included.
    public var bubbleSeconds = 0.0
    /// MoE dispatch and combine the compute stream waits for.
    public var exposedAllToAllSeconds = 0.0
    /// Gradient reduction and parameter gathering over the data-parallel groups.
    public var dataParallelSeconds = 0.0
    /// Optimizer kernels.
    public var optimizerSeconds = 0.0

    public init() {}

    /// The largest cost besides compute, as a short phrase.
    public var limitingFactor: String {
        let parts = [("bubble", bubbleSeconds), ("exposed all-to-all", exposedAllToAllSeconds), ("DP sync", dataParallelSeconds)]
        let worst = parts.max { $0.1 < $1.1 }!
        return worst.1 > 0.1 * stepSeconds ? worst.0 : "compute"
    }
}

/// Computes ``AnalyticalStepEstimate``s for many configurations of one model on one cluster;
/// per-model constants (parameters per block) are computed once.
public struct AnalyticalStepEstimator: Sendable {
    public let model: TransformerModel
    public let base: TrainingSetup
    public let cluster: ClusterSpec
    let collectives: CollectiveCostModel
    /// Per block (layers, then MTP modules): parameters, expert and not, and whether it is MoE.
    let parameters: BlockParameters

    public init(model: TransformerModel, base: TrainingSetup, cluster: ClusterSpec) {
        self.model = model
        self.base = base
        self.cluster = cluster
        collectives = CollectiveCostModel(cluster: cluster)
        parameters = BlockParameters(model: model)
    }

    /// Seconds of one block for one micro-batch on one rank.
    struct BlockSeconds {
        var forward = 0.0, backward = 0.0, weight = 0.0
        var allToAllForward = 0.0, allToAllBackward = 0.0
        static func + (a: Self, b: Self) -> Self {
            Self(forward: a.forward + b.forward, backward: a.backward + b.backward, weight: a.weight + b.weight,
                 allToAllForward: a.allToAllForward + b.allToAllForward, allToAllBackward: a.allToAllBackward + b.allToAllBackward)
        }
        static func * (a: Self, s: Double) -> Self {
            Self(forward: a.forward * s, backward: a.backward * s, weight: a.weight * s,
                 allToAllForward: a.allToAllForward * s, allToAllBackward: a.allToAllBackward * s)
        }
    }

    /// What a block's cost depends on besides the model, the cluster and the base setup: the
    /// configurations that share it (differing in pp, dp, ZeRO stage or schedule) share one costing.
    /// The routing node limit changes only the all-to-alls, which have their own cache.
    struct BlockKey: Hashable {
        var tp: Int, ep: Int, microBatchSequences: Int, recompute: RecomputePolicy, precision: TrainingPrecision
        var routingNodeLimit: Int

        init(_ config: ParallelConfig, withNodeLimit: Bool) {
            tp = config.tp; ep = config.ep; microBatchSequences = config.microBatchSequences
            recompute = config.recompute; precision = config.precision
            routingNodeLimit = withNodeLimit ? config.routingNodeLimit : -1
        }
    }

    /// Seconds of each kind of block for one micro-batch on one rank (all-to-alls apart), and the
    /// all-to-all work of an MoE layer and of an MTP module (forward dispatch, combine, backward dispatch, combine).
    struct BlockCosts {
        var dense = BlockSeconds(), moe = BlockSeconds(), mtp = BlockSeconds(), head = BlockSeconds()
        var embedding = 0.0
        var moeAllToAll: [WorkItem?] = [], mtpAllToAll: [WorkItem?] = []
    }

    /// Block costs and all-to-all seconds already worked out by this estimator.
    final class BlockCostCache: Sendable {
        let blocks = Mutex<[BlockKey: BlockCosts]>([:])
        let allToAlls = Mutex<[BlockKey: (moe: (forward: Double, backward: Double), mtp: (forward: Double, backward: Double))]>([:])
    }
    let blockCache = BlockCostCache()

    /// The blocks' work as the simulator's lowering has it, at uniform expert load, costed by the
    /// simulator's cost functions (the closed form is only in how they are combined); cached per key.
    func blockCosts(_ config: ParallelConfig, setup: TrainingSetup) -> BlockCosts {
        let key = BlockKey(config, withNodeLimit: false)
        if let cached = blockCache.blocks.withLock({ $0[key] }) { return cached }
        let costs = OpCostModel(cluster: cluster, setup: setup)
        var uniform = setup
        uniform.expertLoad = .uniform
        let work = TrainingWork(model: model, setup: uniform, gpusPerNode: cluster.gpusPerNode)
        func seconds(_ items: [WorkItem]) -> Double { costs.seconds(of: items, routes: []) }
        func blockSeconds(_ block: Int) -> (BlockSeconds, [WorkItem?]) {
            let lowered = work.work(block: block, epIndex: 0, route: 0)
            return (BlockSeconds(forward: seconds(lowered.attentionForward + lowered.mlpForward),
                                 backward: seconds(lowered.attentionBackward + lowered.mlpBackward + lowered.recompute),
                                 weight: seconds(lowered.weight)),
                    [lowered.dispatchForward, lowered.combineForward, lowered.dispatchBackward, lowered.combineBackward])
        }
        // Every dense layer costs the same, every MoE layer (at uniform load) and every MTP module too.
        var result = BlockCosts()
        if let dense = parameters.isMoE.firstIndex(of: false) { result.dense = blockSeconds(dense).0 }
        if let moe = parameters.isMoE.prefix(model.layers).firstIndex(of: true) { (result.moe, result.moeAllToAll) = blockSeconds(moe) }
        if model.mtpModules > 0 { (result.mtp, result.mtpAllToAll) = blockSeconds(model.layers) }
        result.head = BlockSeconds(forward: seconds(work.headForward()), backward: seconds(work.headBackward()),
                                   weight: seconds([work.headWeight()]))
        result.embedding = seconds([work.embedding()])
        blockCache.blocks.withLock { $0[key] = result }
        return result
    }

    /// The blocks' costs of `config` with their all-to-alls (uniform routing, the configuration's node limit).
    func blockCostsWithAllToAlls(_ config: ParallelConfig, setup: TrainingSetup) -> BlockCosts {
        var blocks = blockCosts(config, setup: setup)
        let key = BlockKey(config, withNodeLimit: true)
        var seconds = blockCache.allToAlls.withLock { $0[key] }
        if seconds == nil {
            let costs = OpCostModel(cluster: cluster, setup: setup)
            let route = Route(hostShare: Array(repeating: 1 / Double(setup.ep), count: setup.ep),
                              nodeLimit: config.routingNodeLimit, gpusPerNode: cluster.gpusPerNode,
                              deviceLimit: model.moe?.routingDeviceLimit ?? 0)
            func pair(_ items: [WorkItem?]) -> (forward: Double, backward: Double) {
                let each = items.map { item in item.map { costs.seconds($0, routes: [route]) } ?? 0 }
                return each.count == 4 ? (each[0] + each[1], each[2] + each[3]) : (0, 0)
            }
            let computed = (moe: pair(blocks.moeAllToAll), mtp: pair(blocks.mtpAllToAll))
            blockCache.allToAlls.withLock { $0[key] = computed }
            seconds = computed
        }
        if let seconds {
            (blocks.moe.allToAllForward, blocks.moe.allToAllBackward) = seconds.moe
            (blocks.mtp.allToAllForward, blocks.mtp.allToAllBackward) = seconds.mtp
        }
        return blocks
    }

    /// Estimates the step of `config`: per rank stage, its pipeline (compute, exposed all-to-alls,
    /// bubble) and its data-parallel work; the slowest stage of each sets the step.
    public func estimate(_ config: ParallelConfig) -> AnalyticalStepEstimate {
        let setup = config.applied(to: base)
        let costs = OpCostModel(kernels: KernelCostModel(chip: cluster.chip, precision: setup.precision,
                                                         communicationSMs: setup.communicationSMs, software: setup.software),
                                collectives: collectives)
        let layout = PipelineLayout(model: model, setup: setup)
        let placement = RankLayout(setup: setup, gpusPerNode: cluster.gpusPerNode)
        let positions = positionCosts(blockCostsWithAllToAlls(config, setup: setup), setup: setup, layout: layout)
        let transfer = transferSeconds(setup: setup, placement: placement, costs: costs)
        var estimate = AnalyticalStepEstimate()
        var worstPipeline = -1.0, worstSync = 0.0, worstOptimizer = 0.0
        for stage in 0..<setup.pp {
            var rank = PositionCost()
            for chunk in 0..<layout.chunksPerRank {
                let position = positions[layout.position(stage: stage, chunk: chunk).position]
                rank.seconds = rank.seconds + position.seconds
                rank.nonExpert += position.nonExpert
                rank.expert += position.expert
            }
            // Per chunk (average over the rank's chunks).
            var pipeline = pipelineSeconds(chunk: rank.seconds * (1 / Double(layout.chunksPerRank)), setup: setup, layout: layout)
            pipeline.bubble += 2 * Double(setup.pp - 1) * transfer
            if !setup.overlapPipelineTransfers && setup.pp > 1 {
                // Blocking sends: every chunk's forward and backward of every micro-batch holds its sender.
                pipeline.bubble += 2 * Double(layout.microBatches * layout.chunksPerRank) * transfer
            }
            let total = pipeline.compute + pipeline.exposed + pipeline.bubble
            // Gradient sync, optimizer, parameter gather of this stage.
            // Bucketed gradient reduction hides under the last micro-batch's backward on the rank.
            // Prefetched parameter gathers hide under its first micro-batch's forward.
            // ZeRO-3 gathering per pass: every micro-batch's forward (and backward) gathers, hidden likewise.
            var hiding: Hiding?
            let perPass = setup.zeroStage == 3 && setup.shardedGathers != .step
            if (setup.overlapGradientReduce || setup.overlapParameterGather || perPass) && setup.schedule != .dualpipe {
                let blocks = (0..<layout.chunksPerRank).reduce(0) { $0 + layout.blocks[layout.position(stage: stage, chunk: $1).position].count }
                hiding = Hiding(backward: setup.overlapGradientReduce ? rank.seconds.backward + rank.seconds.weight : nil,
                                forward: setup.overlapParameterGather || perPass ? rank.seconds.forward : nil, buckets: max(1, blocks))
                if perPass {
                    hiding?.gatherPasses = Double(layout.microBatches)
                    if setup.shardedGathers == .forwardBackward { hiding?.backwardGather = rank.seconds.backward + rank.seconds.weight }
                }
            }
            let (sync, optimizer) = dataParallelSeconds(setup: setup, placement: placement, nonExpert: rank.nonExpert, expert: rank.expert, costs: costs,
                                                        hiding: hiding, stage: stage)
            if total > worstPipeline {
                worstPipeline = total
                estimate.computeSeconds = pipeline.compute
                estimate.exposedAllToAllSeconds = pipeline.exposed
                estimate.bubbleSeconds = pipeline.bubble
            }
            worstSync = max(worstSync, sync)
            worstOptimizer = max(worstOptimizer, optimizer)
        }
        estimate.dataParallelSeconds = worstSync
        estimate.optimizerSeconds = worstOptimizer
        estimate.stepSeconds = worstPipeline + worstSync + worstOptimizer
        return estimate
    }

    /// One pipeline position's (or a rank's) seconds per micro-batch and parameters per rank.
    struct PositionCost {
        var seconds = BlockSeconds(), nonExpert = 0.0, expert = 0.0
    }

    /// Each pipeline position's blocks summed, with the embedding on the first and the head on the last.
    func positionCosts(_ costs: BlockCosts, setup: TrainingSetup, layout: PipelineLayout) -> [PositionCost] {
        (0..<layout.positions).map { position in
            var sum = PositionCost()
            for block in layout.blocks[position] {
                sum.seconds = sum.seconds + (block >= model.layers ? costs.mtp : parameters.isMoE[block] ? costs.moe : costs.dense)
            }
            let first = position == 0, last = position == layout.positions - 1
            if first { sum.seconds.forward += costs.embedding; sum.seconds.backward += costs.embedding }
            if last { sum.seconds = sum.seconds + costs.head }
            let held = parameters.rankCounts(blocks: layout.blocks[position], first: first, last: last, tp: setup.tp, ep: setup.ep)
            sum.nonExpert = held.nonExpert
            sum.expert = held.expert
            return sum
        }
    }

    /// A stage's compute, exposed all-to-all and bubble (transfers apart) by the schedule's
    /// formula, from its seconds per chunk and micro-batch.
    func pipelineSeconds(chunk: BlockSeconds, setup: TrainingSetup, layout: PipelineLayout)
        -> (compute: Double, exposed: Double, bubble: Double) {
        let n = Double(layout.microBatches), p = Double(setup.pp), chunks = Double(layout.chunksPerRank)
        let f = chunk.forward + chunk.allToAllForward
        let b = chunk.backward + chunk.weight + chunk.allToAllBackward
        let w = chunk.weight
        if setup.schedule == .dualpipe {
            let compute = n * (chunk.forward + chunk.backward + chunk.weight)
            let alone = min(n, p)
            let pairs = max(0, n - alone)
            let pairExposed = max(0, chunk.allToAllForward + chunk.allToAllBackward - (chunk.forward + chunk.backward))
            let exposed = alone * (chunk.allToAllForward + chunk.allToAllBackward) + pairs * pairExposed
            let overlapped = chunk.forward + chunk.backward + chunk.weight + pairExposed
            return (compute, exposed, max(0, p / 2 - 1) * max(0, overlapped + b - 3 * w))
        }
        let compute = n * chunks * (chunk.forward + chunk.backward + chunk.weight)
        let exposed = n * chunks * (chunk.allToAllForward + chunk.allToAllBackward)
        switch setup.schedule {
        case .zb1p: return (compute, exposed, (p - 1) * max(0, f + b - 2 * w))
        default: return (compute, exposed, (p - 1) * (f + b))
        }
    }

    /// One pipeline transfer (a micro-batch's activations), within a node when a stage's ranks
    /// leave room for the next stage's on the same node.
    func transferSeconds(setup: TrainingSetup, placement: RankLayout, costs: OpCostModel) -> Double {
        guard setup.pp > 1 else { return 0 }
        let t = Double(setup.microBatchSequences * setup.sequenceLength) / Double(setup.cp), h = Double(model.hidden)
        var send = WorkItem(kind: .pipelineSend)
        send.bytes = t * h * 2 / Double(setup.tp)
        send.nodes = setup.dataParallelWidth * setup.tp < cluster.gpusPerNode ? 1 : 2
        if !placement.placedInRankOrder {
            // Another placement order: whether stage 0's first rank and stage 1's share a node.
            send.nodes = placement.sameNode(placement.rank(stage: 0, column: 0), placement.rank(stage: 1, column: 0)) ? 1 : 2
        }
        return costs.seconds(send, routes: [])
    }

    /// Gradient sync + parameter gather seconds, and optimizer seconds, of a rank holding
    /// `nonExpert` and `expert` parameters.
    /// What bucketed data-parallel collectives hide under: one micro-batch's backward on the rank
    /// (gradient reduction, ``TrainingSetup/overlapGradientReduce``) or forward (prefetched
    /// parameter gathers, ``TrainingSetup/overlapParameterGather``), nil where not overlapped;
    /// the buckets are one per block.
    struct Hiding {
        var backward: Double?
        var forward: Double?
        var buckets: Int
        /// ZeRO-3 gathering per pass: gathers per step under forwards (the micro-batches; 1 otherwise).
        var gatherPasses = 1.0
        /// ZeRO-3 resharding after forward: the backward the second gather of each pass hides under.
        var backwardGather: Double?

        init(backward: Double?, forward: Double?, buckets: Int) {
            self.backward = backward
            self.forward = forward
            self.buckets = buckets
        }
    }

    /// With `hiding`, an overlapped collective exposes max(its time / buckets, its time − the pass
    /// it hides under): one bucket at least. The groups are those of `stage`'s first rank as the
    /// layout places them (`placement`, the setup's ``RankLayout``: under DualPipe a stage's and
    /// its mirror's ranks).
    func dataParallelSeconds(setup: TrainingSetup, placement: RankLayout, nonExpert: Double, expert: Double, costs: OpCostModel,
                             hiding: Hiding? = nil, stage: Int = 0) -> (sync: Double, optimizer: Double) {
        let data = placement.dataParallelShape(stage: stage, column: 0), experts = placement.expertDataParallelShape(stage: stage, column: 0)
        let groups = [(nonExpert, data, ProcessGroup.data), (expert, experts, .expertData)]
        var sync = 0.0
        for (count, shape, group) in groups where shape.members > 1 && count > 0 {
            let perNode = shape.perNode, nodes = shape.nodes
            let collectives: [(WorkKind, Double)] = setup.zeroStage == 0 ? [(.allReduce, 4)] : [(.reduceScatter, 4), (.allGather, 2)]
            for (kind, bytesPerParameter) in collectives {
                var seconds = costs.seconds(.collective(kind, group: group, bytes: count * bytesPerParameter, ranksPerNode: perNode,
                                                        nodes: nodes), routes: [])
                if let hiding, let under = kind == .allGather ? hiding.forward : hiding.backward {
                    let once = seconds, buckets = Double(hiding.buckets)
                    seconds = max(once / buckets, once - under)
                    if kind == .allGather {
                        seconds *= hiding.gatherPasses
                        if let backward = hiding.backwardGather { seconds += hiding.gatherPasses * max(once / buckets, once - backward) }
                    }
                }
                sync += seconds
            }
        }
        // ZeRO shards the optimizer states over the same groups (``RankParameters/share(stage:sharded:)``).
        let shard = setup.zeroStage >= 1 ? nonExpert / Double(data.members) + expert / Double(experts.members) : nonExpert + expert
        var update = WorkItem(kind: .optimizerUpdate)
        update.bytes = shard * 30
        update.precision = .fp32
        return (sync, costs.seconds(update, routes: []))
    }
}
