import Foundation
import Hardware
import Workload

/// A closed-form step time for ranking many configurations fast (the event simulation takes about
/// a second per configuration at 2048 GPUs; this takes microseconds).
///
/// Built from the simulator's own unit costs — ``KernelCostModel`` for kernels and
/// ``CollectiveCostModel`` for links — but with uniform expert load (every expert gets
/// `tokens·ep·topK / experts` rows) and the pipeline timed by formula instead of by events:
///
/// - **Compute**: per block and micro-batch, forward / input-gradient / weight-gradient GEMMs,
///   attention kernels and memory-bound kernels as ``BlockCostModel`` counts them; the bottleneck
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
///   parameter all-gather (ZeRO ≥ 1) of the worst stage, not overlapped, as the simulator places them.
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
    /// Per block (layers, then MTP modules): parameters that are not routed experts, and routed-expert parameters.
    let blockNonExpertParameters: [Double]
    let blockExpertParameters: [Double]
    let blockIsMoE: [Bool]
    let projections: [(inputs: Double, outputs: Double)]

    public init(model: TransformerModel, base: TrainingSetup, cluster: ClusterSpec) {
        self.model = model
        self.base = base
        self.cluster = cluster
        collectives = CollectiveCostModel(cluster: cluster)
        var nonExpert: [Double] = [], expert: [Double] = [], moe: [Bool] = []
        for block in 0..<(model.layers + model.mtpModules) {
            let layer = min(block, model.layers - 1)
            var common = Double(model.layerParameters(layer)), routed = 0.0
            if let spec = model.moe, model.isMoELayer(layer) {
                routed = Double(spec.routedExperts * model.expertParameters)
                common -= routed
            }
            if block >= model.layers { common += Double(2 * model.hidden * model.hidden + 3 * model.hidden) }
            nonExpert.append(common)
            expert.append(routed)
            moe.append(model.isMoELayer(layer))
        }
        blockNonExpertParameters = nonExpert
        blockExpertParameters = expert
        blockIsMoE = moe
        projections = model.attention.projections(hidden: model.hidden).map { (Double($0.inputs), Double($0.outputs)) }
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

    /// Estimates the step of `config`.
    public func estimate(_ config: ParallelConfig) -> AnalyticalStepEstimate {
        let setup = config.applied(to: base)
        let kernels = KernelCostModel(chip: cluster.chip, precision: setup.precision, communicationSMs: setup.communicationSMs)
        func gemm(_ m: Double, _ n: Double, _ k: Double) -> Double { kernels.gemmSeconds(m: m, n: n, k: k) }
        func memory(_ bytes: Double) -> Double { kernels.memorySeconds(bytes: bytes) }
        let t = Double(setup.microBatchSequences * setup.sequenceLength), h = Double(model.hidden), tp = Double(setup.tp)
        let castBytes = setup.precision == .fp8 ? 3.0 : 0.0
        let attention = model.attention

        // Attention part, common to every block.
        var projectionForward = 0.0, projectionBackward = 0.0, projectionWeight = 0.0, inputs = 0.0
        for projection in projections {
            let seconds = kernels.linearLayerSeconds(tokens: t, inputs: projection.inputs, outputs: projection.outputs / tp)
            projectionForward += seconds.forward
            projectionBackward += seconds.backward
            projectionWeight += seconds.weight
            inputs += projection.inputs
        }
        let causal = t * attention.coreFlopsPerToken(keys: TransformerModel.attendedKeys(sequence: setup.sequenceLength, causal: true)) / tp
        let attentionMemory = 10 * t * h + castBytes * t * inputs
        let tpAllReduce = setup.tp > 1 ? collectives.allReduceSeconds(bytes: t * h * 2, ranksPerNode: setup.tp, nodes: 1) : 0
        var common = BlockSeconds()
        common.forward = projectionForward + kernels.attentionSeconds(flops: causal, backward: false) + memory(attentionMemory) + tpAllReduce
        common.backward = projectionBackward + kernels.attentionSeconds(flops: 2.5 * causal, backward: true) + memory(2 * attentionMemory) + tpAllReduce
        common.weight = projectionWeight
        var upProjections = 0.0
        if attention.kind == .mla {
            let heads = Double(attention.heads) / tp
            if attention.qLoraRank > 0 { upProjections += gemm(t, heads * Double(attention.qkHeadDim), Double(attention.qLoraRank)) }
            upProjections += gemm(t, heads * Double(attention.qkNopeHeadDim + attention.vHeadDim), Double(attention.kvLoraRank))
        }
        let gated = model.gatedFfn ? 2.0 : 1.0

        // Dense FFN block.
        var dense = common
        do {
            let f = Double(model.denseFfnWidth) / tp
            let bytes = 10 * t * h + t * f * 6 + castBytes * t * (h + f)
            dense.forward += gemm(t, gated * f, h) + gemm(t, h, f) + memory(bytes) + tpAllReduce
            dense.backward += gemm(t, h, gated * f) + gemm(t, f, h) + memory(2 * bytes) + tpAllReduce
            dense.weight += gemm(h, gated * f, t) + gemm(f, h, t)
            dense.backward += recomputeSeconds(setup.recompute, forward: dense.forward, memory: memory(4 * t * h + t * f * 6), up: upProjections)
        }

        // MoE block: router, shared experts, local routed experts at uniform load, all-to-alls.
        var moe = common
        if let spec = model.moe {
            let tm = t / tp, fe = Double(spec.expertFfnWidth), k = Double(spec.topK), ep = Double(setup.ep)
            let router = gemm(t, Double(spec.routedExperts), h) + memory(t * Double(spec.routedExperts) * 8)
            moe.forward += router
            moe.backward += router
            var forward = 0.0, backward = 0.0, weight = 0.0, swigluRows = 0.0
            if spec.sharedExperts > 0 {
                let fs = fe * Double(spec.sharedExperts)
                forward += gemm(tm, gated * fs, h) + gemm(tm, h, fs)
                backward += gemm(tm, h, gated * fs) + gemm(tm, fs, h)
                weight += gemm(h, gated * fs, tm) + gemm(fs, h, tm)
                swigluRows += tm * fs
            }
            let local = Double(spec.routedExperts / setup.ep)
            let rows = (tm * ep * k / Double(spec.routedExperts)).rounded()
            forward += local * (gemm(rows, gated * fe, h) + gemm(rows, h, fe))
            backward += local * (gemm(rows, h, gated * fe) + gemm(rows, fe, h))
            weight += local * (gemm(h, gated * fe, rows) + gemm(fe, h, rows))
            let received = local * rows
            swigluRows += received * fe
            let bytes = 10 * t * h + swigluRows * 6 + received * h * 4 + tm * k * h * 2 + tm * h * 2 + castBytes * (received * h + swigluRows)
            let mlpForward = forward + memory(bytes)
            moe.forward += mlpForward
            moe.backward += backward + memory(2 * bytes)
            moe.weight += weight
            moe.backward += recomputeSeconds(setup.recompute, forward: common.forward + router + mlpForward,
                                             memory: memory(4 * t * h + swigluRows * 6), up: upProjections)
            if setup.ep > 1 {
                let dispatch = allToAllSeconds(setup: setup, limit: config.routingNodeLimit, elementBytes: setup.precision == .fp8 ? 1 + 4.0 / 128 : 2)
                let combine = allToAllSeconds(setup: setup, limit: config.routingNodeLimit, elementBytes: 2)
                moe.allToAllForward = dispatch + combine
                moe.allToAllBackward = 2 * combine
            }
        }
        // Output head (and its second use by each MTP module).
        let v = Double(model.vocabulary) / tp
        let head = BlockSeconds(forward: gemm(t, v, h) + memory(t * v * 6), backward: gemm(t, h, v) + memory(t * v * 6),
                                weight: gemm(h, v, t))
        let embedding = memory(t * h * 4)
        var mtpExtra = head
        mtpExtra.forward += gemm(t, h, 2 * h)
        mtpExtra.backward += gemm(t, 2 * h, h)
        mtpExtra.weight += gemm(2 * h, h, t)

        // Per pipeline position, then per rank stage.
        let layout = PipelineLayout(model: model, setup: setup)
        var positionSeconds: [BlockSeconds] = []
        var positionParameters: [(nonExpert: Double, expert: Double)] = []
        for position in 0..<layout.positions {
            var sum = BlockSeconds(), nonExpert = 0.0, expert = 0.0
            for block in layout.blocks[position] {
                sum = sum + (blockIsMoE[block] ? moe : dense)
                if block >= model.layers { sum = sum + mtpExtra }
                if blockIsMoE[block] {
                    nonExpert += blockNonExpertParameters[block]
                    expert += blockExpertParameters[block] / Double(setup.ep)
                } else {
                    nonExpert += (blockNonExpertParameters[block] + blockExpertParameters[block]) / tp
                }
                if block >= model.layers && blockIsMoE[block] { nonExpert -= Double(2 * model.hidden * model.hidden + 3 * model.hidden) * (1 - 1 / tp) }
            }
            if position == 0 { sum.forward += embedding; sum.backward += embedding; nonExpert += Double(model.embeddingParameters) / tp }
            if position == layout.positions - 1 { sum = sum + head; nonExpert += Double(model.headParameters + model.hidden) / tp }
            positionSeconds.append(sum)
            positionParameters.append((nonExpert, expert))
        }

        let n = Double(layout.microBatches), p = Double(setup.pp), chunks = Double(layout.chunksPerRank)
        let dualPipe = setup.schedule == .dualpipe
        let transfer = setup.pp > 1 ? collectives.pointToPointSeconds(bytes: t * h * 2 / tp, sameNode: setup.dp * setup.tp < cluster.gpusPerNode) : 0
        var estimate = AnalyticalStepEstimate()
        var worstPipeline = -1.0, worstSync = 0.0, worstOptimizer = 0.0
        for stage in 0..<setup.pp {
            var rank = BlockSeconds(), nonExpert = 0.0, expert = 0.0
            for chunk in 0..<layout.chunksPerRank {
                let position = layout.position(stage: stage, chunk: chunk).position
                rank = rank + positionSeconds[position]
                nonExpert += positionParameters[position].nonExpert
                expert += positionParameters[position].expert
            }
            // Per chunk (average over the rank's chunks).
            let chunk = rank * (1 / chunks)
            let f = chunk.forward + chunk.allToAllForward
            let b = chunk.backward + chunk.weight + chunk.allToAllBackward
            let w = chunk.weight
            var compute = 0.0, exposed = 0.0, bubble = 0.0
            if dualPipe {
                compute = n * (chunk.forward + chunk.backward + chunk.weight)
                let alone = min(n, p)
                let pairs = max(0, n - alone)
                let pairExposed = max(0, chunk.allToAllForward + chunk.allToAllBackward - (chunk.forward + chunk.backward))
                exposed = alone * (chunk.allToAllForward + chunk.allToAllBackward) + pairs * pairExposed
                let overlapped = chunk.forward + chunk.backward + chunk.weight + pairExposed
                bubble = max(0, p / 2 - 1) * max(0, overlapped + b - 3 * w)
            } else {
                compute = n * chunks * (chunk.forward + chunk.backward + chunk.weight)
                exposed = n * chunks * (chunk.allToAllForward + chunk.allToAllBackward)
                switch setup.schedule {
                case .zb1p: bubble = (p - 1) * max(0, f + b - 2 * w)
                default: bubble = (p - 1) * (f + b)
                }
            }
            bubble += 2 * (p - 1) * transfer
            let pipeline = compute + exposed + bubble
            // Gradient sync, optimizer, parameter gather of this stage.
            let (sync, optimizer) = dataParallelSeconds(setup: setup, nonExpert: nonExpert, expert: expert)
            if pipeline > worstPipeline {
                worstPipeline = pipeline
                estimate.computeSeconds = compute
                estimate.exposedAllToAllSeconds = exposed
                estimate.bubbleSeconds = bubble
            }
            worstSync = max(worstSync, sync)
            worstOptimizer = max(worstOptimizer, optimizer)
        }
        estimate.dataParallelSeconds = worstSync
        estimate.optimizerSeconds = worstOptimizer
        estimate.stepSeconds = worstPipeline + worstSync + worstOptimizer
        return estimate
    }

    private func recomputeSeconds(_ policy: RecomputePolicy, forward: Double, memory: Double, up: Double) -> Double {
        switch policy {
        case .none: return 0
        case .selective: return memory + up
        case .full: return forward
        }
    }

    /// Expected distinct nodes a token's top-k experts sit on, capped by the routing node limit.
    static func nodesPerToken(nodes: Int, topK: Int, limit: Int) -> Double {
        guard nodes > 1 else { return 1 }
        let n = Double(nodes)
        let expected = n * (1 - pow(1 - 1 / n, Double(topK)))
        return limit > 0 ? min(expected, Double(limit)) : expected
    }

    /// One all-to-all of a micro-batch's tokens over the expert-parallel group at uniform load:
    /// NVLink carries every remote-GPU copy, the NIC one copy per distinct remote node.
    func allToAllSeconds(setup: TrainingSetup, limit: Int, elementBytes: Double) -> Double {
        guard let spec = model.moe else { return 0 }
        let g = cluster.gpusPerNode, ep = setup.ep
        let tm = Double(setup.microBatchSequences * setup.sequenceLength) / Double(setup.tp)
        let k = Double(spec.topK), h = Double(model.hidden)
        if ep <= g {
            let pairs = tm * k * Double(ep - 1) / Double(ep)
            return collectives.allToAllMemberSeconds(intraNodeBytes: pairs * h * elementBytes, scaleOutBytes: 0, spanningNodes: 1)
        }
        let nodes = (ep + g - 1) / g
        let n = Double(nodes)
        let scaleOut = tm * Self.nodesPerToken(nodes: nodes, topK: spec.topK, limit: limit) * (n - 1) / n * h * elementBytes
        let pairs = tm * k * Double(g - 1) / Double(g)
        return collectives.allToAllMemberSeconds(intraNodeBytes: pairs * h * elementBytes, scaleOutBytes: scaleOut, spanningNodes: nodes)
    }

    /// Gradient sync + parameter gather seconds, and optimizer seconds, of a rank holding
    /// `nonExpert` and `expert` parameters.
    func dataParallelSeconds(setup: TrainingSetup, nonExpert: Double, expert: Double) -> (sync: Double, optimizer: Double) {
        let g = cluster.gpusPerNode, columns = setup.dp * setup.tp
        // Data-parallel group: stride tp within a stage; expert-data-parallel group: stride ep.
        let dpPerNode = min(setup.dp, max(1, g / setup.tp)), expertMembers = columns / setup.ep
        let expertPerNode = min(expertMembers, max(1, g / setup.ep))
        let groups = [(nonExpert, setup.dp, dpPerNode), (expert, expertMembers, expertPerNode)]
        var sync = 0.0
        for (count, members, perNode) in groups where members > 1 && count > 0 {
            let nodes = (members + perNode - 1) / perNode
            if setup.zeroStage == 0 {
                sync += collectives.allReduceSeconds(bytes: count * 4, ranksPerNode: perNode, nodes: nodes)
            } else {
                sync += collectives.reduceScatterSeconds(bytes: count * 4, ranksPerNode: perNode, nodes: nodes)
                sync += collectives.allGatherSeconds(bytes: count * 2, ranksPerNode: perNode, nodes: nodes)
            }
        }
        let shard = setup.zeroStage >= 1 ? nonExpert / Double(setup.dp) + expert / Double(expertMembers) : nonExpert + expert
        let kernels = KernelCostModel(chip: cluster.chip, precision: setup.precision, communicationSMs: setup.communicationSMs)
        return (sync, kernels.memorySeconds(bytes: shard * 30))
    }
}
