import Foundation
import Hardware
import Kernels
import Workload

/// Turns the model, the training setup and the cluster into per-block compute seconds and
/// all-to-all durations (``BlockCost``), per expert-parallel rank (expert load differs by rank).
///
/// Work per micro-batch of T tokens on one rank: GEMMs of the attention projections, dense FFN,
/// shared and local routed experts (grouped per expert, sized by the expert load), the output
/// head; attention kernels with causal masking (the work the kernel does); memory-bound kernels
/// (norms, residual adds, SwiGLU, FP8 casts, MoE permutation and weighted combine, cross-entropy).
/// Backward: input-gradient GEMMs equal the forward's, weight-gradient GEMMs likewise, attention
/// backward does 2.5× the forward's FLOPs (FlashAttention recomputes scores); memory-bound work 2×.
public struct BlockCostModel: Sendable {
    public let model: TransformerModel
    public let setup: TrainingSetup
    public let cluster: ClusterSpec
    public let kernels: KernelCostModel
    public let collectives: CollectiveCostModel
    /// Expert shares per block (empty for dense blocks).
    public let expertShares: [[Double]]
    /// Tokens per micro-batch on one rank.
    public let tokens: Double

    public init(model: TransformerModel, setup: TrainingSetup, cluster: ClusterSpec) {
        self.model = model
        self.setup = setup
        self.cluster = cluster
        kernels = KernelCostModel(chip: cluster.chip, precision: setup.precision, communicationSMs: setup.communicationSMs)
        collectives = CollectiveCostModel(cluster: cluster)
        tokens = Double(setup.microBatchSequences * setup.sequenceLength)
        var generator = SplitMix64(seed: setup.seed)
        var shares: [[Double]] = []
        for block in 0..<(model.layers + model.mtpModules) {
            guard let moe = model.moe, Self.isMoE(model: model, block: block) else { shares.append([]); continue }
            var permutation = Array(0..<moe.routedExperts)
            permutation.shuffle(using: &generator)
            shares.append(setup.expertLoad.shares(experts: moe.routedExperts, permutation: permutation))
        }
        expertShares = shares
    }

    /// Whether block `block` (layer, or MTP module past the last layer) is MoE.
    public static func isMoE(model: TransformerModel, block: Int) -> Bool {
        model.isMoELayer(min(block, model.layers - 1))
    }

    private func gemm(_ m: Double, _ n: Double, _ k: Double) -> Double { kernels.gemmSeconds(m: m, n: n, k: k) }

    /// Costs of `block` on the rank at position `epIndex` of its expert-parallel group.
    public func cost(block: Int, epIndex: Int) -> BlockCost {
        let h = Double(model.hidden), tp = Double(setup.tp), t = tokens
        let attention = model.attention
        var cost = BlockCost()
        let isMoE = Self.isMoE(model: model, block: block)
        let castBytes = setup.precision == .fp8 ? 3.0 : 0.0

        // Attention block.
        var projectionForward = 0.0, projectionBackward = 0.0, projectionWeight = 0.0, castInputs = 0.0
        for projection in attention.projections(hidden: model.hidden) {
            let seconds = kernels.linearLayerSeconds(tokens: t, inputs: Double(projection.inputs), outputs: Double(projection.outputs) / tp)
            projectionForward += seconds.forward
            projectionBackward += seconds.backward
            projectionWeight += seconds.weight
            castInputs += Double(projection.inputs)
        }
        let causalFlops = t * attention.coreFlopsPerToken(keys: TransformerModel.attendedKeys(sequence: setup.sequenceLength, causal: true)) / tp
        // Norm (read + write h) and residual add (read 2h, write h), BF16: 10·h bytes per token.
        let attentionMemory = 10 * t * h + castBytes * t * castInputs
        var router = 0.0
        if isMoE, let moe = model.moe { router = gemm(t, Double(moe.routedExperts), h) + kernels.memorySeconds(bytes: t * Double(moe.routedExperts) * 8) }
        let tpAllReduce = setup.tp > 1 ? collectives.allReduceSeconds(bytes: t * h * 2, ranksPerNode: setup.tp, nodes: 1) : 0
        cost.attentionForward = projectionForward + kernels.attentionSeconds(flops: causalFlops, backward: false)
            + kernels.memorySeconds(bytes: attentionMemory) + router + tpAllReduce
        cost.attentionBackward = projectionBackward + kernels.attentionSeconds(flops: 2.5 * causalFlops, backward: true)
            + kernels.memorySeconds(bytes: 2 * attentionMemory) + router + tpAllReduce
        cost.weight = projectionWeight
        cost.tensorParallelSeconds = 2 * tpAllReduce

        // FFN: dense, or shared + routed experts.
        let ffnNorms = 10 * t * h
        var selectiveRecomputeBytes = 4 * t * h
        if isMoE, let moe = model.moe {
            let tm = t / tp, fe = Double(moe.expertFfnWidth), k = Double(moe.topK), ep = Double(setup.ep)
            let gated = model.gatedFfn ? 2.0 : 1.0
            var forward = 0.0, backward = 0.0, weight = 0.0, swigluRows = 0.0
            if moe.sharedExperts > 0 {
                let fs = fe * Double(moe.sharedExperts)
                forward += gemm(tm, gated * fs, h) + gemm(tm, h, fs)
                backward += gemm(tm, h, gated * fs) + gemm(tm, fs, h)
                weight += gemm(h, gated * fs, tm) + gemm(fs, h, tm)
                swigluRows += tm * fs
            }
            let shares = expertShares[block]
            let perRank = moe.routedExperts / setup.ep
            var received = 0.0
            for expert in (epIndex * perRank)..<((epIndex + 1) * perRank) {
                let m = (tm * ep * k * shares[expert]).rounded()
                received += m
                forward += gemm(m, gated * fe, h) + gemm(m, h, fe)
                backward += gemm(m, h, gated * fe) + gemm(m, fe, h)
                weight += gemm(h, gated * fe, m) + gemm(fe, h, m)
                swigluRows += m * fe
            }
            let permuteBytes = received * h * 2 * 2 + tm * k * h * 2 + tm * h * 2
            let memory = ffnNorms + swigluRows * 3 * 2 + permuteBytes + castBytes * (received * h + swigluRows)
            cost.mlpForward = forward + kernels.memorySeconds(bytes: memory)
            cost.mlpBackward = backward + kernels.memorySeconds(bytes: 2 * memory)
            cost.weight += weight
            selectiveRecomputeBytes += swigluRows * 3 * 2
            if setup.ep > 1 {
                cost.moe = true
                let fp8Dispatch = setup.precision == .fp8 ? 1 + 4.0 / 128 : 2
                cost.dispatchForward = allToAllSeconds(block: block, elementBytes: fp8Dispatch)
                cost.combineForward = allToAllSeconds(block: block, elementBytes: 2)
                cost.dispatchBackward = allToAllSeconds(block: block, elementBytes: 2)
                cost.combineBackward = cost.combineForward
                cost.dispatchBytesPerRank = tm * k * h * fp8Dispatch
                cost.combineBytesPerRank = tm * k * h * 2
            }
        } else {
            let f = Double(model.denseFfnWidth) / tp
            let gated = model.gatedFfn ? 2.0 : 1.0
            let memory = ffnNorms + t * f * 3 * 2 + castBytes * t * (h + f)
            cost.mlpForward = gemm(t, gated * f, h) + gemm(t, h, f) + kernels.memorySeconds(bytes: memory) + tpAllReduce
            cost.mlpBackward = gemm(t, h, gated * f) + gemm(t, f, h) + kernels.memorySeconds(bytes: 2 * memory) + tpAllReduce
            cost.weight += gemm(h, gated * f, t) + gemm(f, h, t)
            selectiveRecomputeBytes += t * f * 3 * 2
        }

        // MTP module: its 2h→h projection and another pass through the shared output head.
        if block >= model.layers {
            cost.mlpForward += gemm(t, h, 2 * h) + headForwardSeconds()
            cost.mlpBackward += gemm(t, 2 * h, h) + headBackwardSeconds()
            cost.weight += gemm(2 * h, h, t) + headWeightSeconds()
        }

        switch setup.recompute {
        case .none: cost.recompute = 0
        case .selective:
            var upProjections = 0.0
            if attention.kind == .mla {
                let heads = Double(attention.heads) / tp
                if attention.qLoraRank > 0 { upProjections += gemm(t, heads * Double(attention.qkHeadDim), Double(attention.qLoraRank)) }
                upProjections += gemm(t, heads * Double(attention.qkNopeHeadDim + attention.vHeadDim), Double(attention.kvLoraRank))
            }
            cost.recompute = kernels.memorySeconds(bytes: selectiveRecomputeBytes) + upProjections
        case .full: cost.recompute = cost.attentionForward + cost.mlpForward
        }
        return cost
    }

    /// Output head and loss, forward.
    public func headForwardSeconds() -> Double {
        let t = tokens, v = Double(model.vocabulary) / Double(setup.tp), h = Double(model.hidden)
        return gemm(t, v, h) + kernels.memorySeconds(bytes: t * v * 2 * 3)
    }

    /// Output head and loss, input-gradient pass.
    public func headBackwardSeconds() -> Double {
        let t = tokens, v = Double(model.vocabulary) / Double(setup.tp), h = Double(model.hidden)
        return gemm(t, h, v) + kernels.memorySeconds(bytes: t * v * 2 * 3)
    }

    /// Output head weight gradient.
    public func headWeightSeconds() -> Double {
        gemm(Double(model.hidden), Double(model.vocabulary) / Double(setup.tp), tokens)
    }

    /// Embedding lookup (forward) or its gradient scatter (backward).
    public func embeddingSeconds() -> Double {
        kernels.memorySeconds(bytes: tokens * Double(model.hidden) * 2 * 2)
    }

    /// Expected distinct nodes a token's top-k experts sit on, over `nodes` nodes, with the node limit.
    public func nodesPerToken(nodes: Int) -> Double {
        guard let moe = model.moe, nodes > 1 else { return 1 }
        let n = Double(nodes)
        var expected = n * (1 - pow(1 - 1 / n, Double(moe.topK)))
        if moe.routingNodeLimit > 0 { expected = min(expected, Double(moe.routingNodeLimit)) }
        return expected
    }

    /// Duration of one all-to-all of a block's tokens over the expert-parallel group: the slowest
    /// member's time, node-limited and forwarded over the intra-node link as DeepEP does.
    public func allToAllSeconds(block: Int, elementBytes: Double) -> Double {
        guard let moe = model.moe else { return 0 }
        let ep = setup.ep, g = cluster.gpusPerNode
        let tm = tokens / Double(setup.tp), k = Double(moe.topK), h = Double(model.hidden)
        let shares = expertShares[block]
        let perRank = moe.routedExperts / ep
        let hostShare = (0..<ep).map { j in ((j * perRank)..<((j + 1) * perRank)).reduce(0.0) { $0 + shares[$1] } }
        let sendPairs = tm * k
        if ep <= g {
            var worst = 0.0
            for j in 0..<ep {
                let pairs = max(sendPairs, tm * Double(ep) * k * hostShare[j]) * Double(ep - 1) / Double(ep)
                worst = max(worst, collectives.allToAllMemberSeconds(intraNodeBytes: pairs * h * elementBytes, scaleOutBytes: 0, spanningNodes: 1))
            }
            return worst
        }
        let nodes = (ep + g - 1) / g
        let n = Double(nodes)
        let npt = nodesPerToken(nodes: nodes)
        let scaleOutSend = tm * npt * (n - 1) / n * h * elementBytes
        var worst = 0.0
        for node in 0..<nodes {
            let members = (node * g)..<min(ep, (node + 1) * g)
            let nodeShare = members.reduce(0.0) { $0 + hostShare[$1] }
            let visit = min(1, npt * nodeShare)
            let scaleOutReceive = tm * Double(ep) * visit * (n - 1) / n / Double(members.count) * h * elementBytes
            for j in members {
                let pairs = max(sendPairs, tm * Double(ep) * k * hostShare[j]) * Double(g - 1) / Double(g)
                worst = max(worst, collectives.allToAllMemberSeconds(intraNodeBytes: pairs * h * elementBytes,
                                                                     scaleOutBytes: max(scaleOutSend, scaleOutReceive),
                                                                     spanningNodes: nodes))
            }
        }
        return worst
    }
}
