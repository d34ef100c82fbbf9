import Foundation
import Kernels
import Workload

/// The work of one block (a layer or an MTP module) for one micro-batch on one rank, split into
/// the pieces the schedule places separately; shapes and bytes only (the simulator costs them).
///
/// Per micro-batch of T tokens on one rank: GEMMs of the attention projections, dense FFN, shared
/// and local routed experts (grouped-GEMM items sized by the expert load, one per distinct row
/// count with its experts as repeats), the
/// output head; attention kernels with causal masking (the work the kernel does); memory-bound
/// kernels (norms, residual adds, SwiGLU, FP8 casts, MoE permutation and weighted combine,
/// cross-entropy). Backward: input-gradient GEMMs equal the forward's, weight-gradient GEMMs
/// likewise, attention backward does 2.5× the forward's FLOPs (FlashAttention recomputes
/// scores); memory-bound work 2×.
public struct BlockWork: Sendable {
    /// Whether the block is MoE with an expert-parallel group (all-to-alls between attention and MLP).
    public var moe = false
    public var attentionForward: [WorkItem] = []
    public var mlpForward: [WorkItem] = []
    public var attentionBackward: [WorkItem] = []
    public var mlpBackward: [WorkItem] = []
    /// Weight-gradient GEMMs of the block.
    public var weight: [WorkItem] = []
    /// Forward work redone in backward by the recompute policy.
    public var recompute: [WorkItem] = []
    /// The tensor-parallel communication folded into each of the attention and the dense MLP,
    /// forward and again backward: an all-reduce, or with sequence parallelism an all-gather and a
    /// reduce-scatter of the same bytes; empty without TP.
    public var tensorParallel: [WorkItem] = []
    /// The all-to-alls: dispatch and combine, forward and backward (MoE blocks only).
    public var dispatchForward: WorkItem?, combineForward: WorkItem?
    public var dispatchBackward: WorkItem?, combineBackward: WorkItem?
}

/// Lowers a model's blocks, with a training setup, into ``BlockWork`` per expert-parallel rank.
public struct TrainingWork: Sendable {
    public let model: TransformerModel
    public let setup: TrainingSetup
    /// Tokens per micro-batch on one rank: the micro-batch's sequences, split over `cp` ranks.
    public let tokens: Double
    /// Expert shares per block (empty for dense blocks), from the seeded expert-load model.
    public let expertShares: [[Double]]
    /// GPUs per node (all-to-all placement).
    public let gpusPerNode: Int
    /// Where the ranks sit (``RankLayout``): the placement of the tensor-, context- and
    /// expert-parallel groups its collectives use (the groups of rank 0 stand for all).
    public let placement: RankLayout

    public init(model: TransformerModel, setup: TrainingSetup, gpusPerNode: Int) {
        self.model = model
        self.setup = setup
        self.gpusPerNode = gpusPerNode
        placement = RankLayout(setup: setup, gpusPerNode: gpusPerNode)
        tokens = Double(setup.microBatchSequences * setup.sequenceLength) / Double(max(1, setup.cp))
        var generator = SplitMix64(seed: setup.seed)
        var shares: [[Double]] = []
        // Uniform load does not depend on the permutation: one shared array, no shuffles.
        var uniform: [Double]?
        if case .uniform = setup.expertLoad, let moe = model.moe { uniform = Array(repeating: 1 / Double(moe.routedExperts), count: moe.routedExperts) }
        for block in 0..<(model.layers + model.mtpModules) {
            guard let moe = model.moe, Self.isMoE(model: model, block: block) else { shares.append([]); continue }
            if let uniform { shares.append(uniform); continue }
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

    var precision: WorkPrecision {
        switch setup.precision {
        case .fp8: return .fp8
        case .bf16: return .bf16
        case .fp32: return .fp32
        }
    }
    var castBytes: Double { setup.precision == .fp8 ? 3.0 : 0.0 }
    /// The share of a micro-batch's tokens the norms and residual adds of a rank run on: 1/tp with
    /// sequence parallelism, else all of them.
    var sequenceShare: Double { setup.sequenceParallel ? 1 / Double(max(1, setup.tp)) : 1 }
    /// The placement of a context-parallel group (its ranks per node and nodes), nil without
    /// context parallelism: the group of rank 0 (``RankLayout/contextParallelShape(stage:column:)``).
    var contextRing: RankLayout.GroupShape? {
        setup.cp > 1 ? placement.contextParallelShape(stage: 0, column: 0) : nil
    }
    /// Bytes of an activation element (``TrainingPrecision/elementBytes``): the memory-bound
    /// kernels' traffic and the transfers scale with it.
    var elementBytes: Double { setup.precision.elementBytes }

    func gemm(_ m: Double, _ n: Double, _ k: Double, _ layer: Int, grouped: Bool = false, repeats: Int32 = 1) -> WorkItem {
        .gemm(m, n, k, precision: precision, layer: layer, grouped: grouped, repeats: repeats)
    }

    /// The routing of block `block`'s all-to-alls: each expert-parallel member's share.
    public func route(block: Int) -> Route {
        let ep = setup.ep, shares = expertShares[block]
        let perRank = shares.count / max(1, ep)
        let host = (0..<ep).map { j in ((j * perRank)..<((j + 1) * perRank)).reduce(0.0) { $0 + shares[$1] } }
        // Members of the group per node: the node's GPUs, or under another placement order the
        // most members the expert-parallel group has on one node.
        let perNode = placement.placedInRankOrder ? gpusPerNode : placement.expertParallelShape(stage: 0, column: 0).perNode
        return Route(hostShare: host, nodeLimit: model.moe?.routingNodeLimit ?? 0, gpusPerNode: perNode,
                     deviceLimit: model.moe?.routingDeviceLimit ?? 0)
    }

    /// The work of `block` on the rank at position `epIndex` of its expert-parallel group.
    /// `route` is the index the program gives `route(block:)`.
    public func work(block: Int, epIndex: Int, route: Int32 = -1) -> BlockWork {
        var work = BlockWork()
        let isMoE = Self.isMoE(model: model, block: block)
        let t = tokens, h = Double(model.hidden), tp = Double(setup.tp)
        attention(&work, block: block, isMoE: isMoE)
        if isMoE, let moe = model.moe {
            experts(&work, block: block, epIndex: epIndex, moe: moe, route: route)
        } else {
            let f = Double(model.denseFfnWidth) / tp
            let gated = model.gatedFfn ? 2.0 : 1.0
            let memory = normAndResidual(elements: t * h * sequenceShare, layer: block) + activation(elements: t * f, layer: block)
                + [.memory(.cast, bytes: castBytes * t * (h + f), layer: block)]
            work.mlpForward = [gemm(t, gated * f, h, block), gemm(t, h, f, block)] + memory
            work.mlpBackward = [gemm(t, h, gated * f, block), gemm(t, f, h, block)] + memory.map { doubled($0) }
            work.weight += [gemm(h, gated * f, t, block), gemm(f, h, t, block)]
            work.mlpForward += work.tensorParallel
            work.mlpBackward += work.tensorParallel
        }
        if block >= model.layers {
            // MTP module: its 2h→h projection and another pass through the shared output head.
            work.mlpForward += [gemm(t, h, 2 * h, block)] + headForward(layer: block)
            work.mlpBackward += [gemm(t, 2 * h, h, block)] + headBackward(layer: block)
            work.weight += [gemm(2 * h, h, t, block), headWeight(layer: block)]
        }
        work.recompute = recompute(work, block: block, isMoE: isMoE)
        return work
    }

    /// The residual path after a sub-layer over `elements` (tokens × hidden): fused (today), one
    /// kernel reading the output and the residual and writing the sum, 3 elements each; unfused
    /// (``SoftwareProfile/fusedElementwise`` false), a bias add (read, write: 2), a dropout (read,
    /// write, and a 1-byte mask) and the add (3): 7 elements + 1 byte each, three kernels.
    func residual(elements x: Double, layer: Int) -> [WorkItem] {
        let e = elementBytes
        guard !setup.software.fusedElementwise else { return [.memory(.residual, bytes: 3 * e * x, layer: layer)] }
        return [.memory(.bias, bytes: 2 * e * x, layer: layer), .memory(.dropout, bytes: (2 * e + 1) * x, layer: layer),
                .memory(.residual, bytes: 3 * e * x, layer: layer)]
    }

    /// The MLP's norm and residual: fused, one item of 5 elements (norm: read, write; residual: 3);
    /// unfused, the norm (2) and the unfused residual path (``residual(elements:layer:)``).
    func normAndResidual(elements x: Double, layer: Int) -> [WorkItem] {
        guard !setup.software.fusedElementwise else { return [.memory(.norm, bytes: 5 * elementBytes * x, layer: layer)] }
        return [.memory(.norm, bytes: 2 * elementBytes * x, layer: layer)] + residual(elements: x, layer: layer)
    }

    /// The MLP activation over `elements` (rows × FFN width): fused, one kernel of 3 elements
    /// each (SwiGLU reads gate and up, writes one); unfused, gated: SiLU (read, write: 2) then the
    /// product (read 2, write 1: 3); not gated: a bias add (2) then GeLU (2).
    func activation(elements x: Double, layer: Int) -> [WorkItem] {
        let e = elementBytes
        guard !setup.software.fusedElementwise else { return [.memory(.swiglu, bytes: 3 * e * x, layer: layer)] }
        if model.gatedFfn { return [.memory(.swiglu, bytes: 2 * e * x, layer: layer), .memory(.swiglu, bytes: 3 * e * x, layer: layer)] }
        return [.memory(.bias, bytes: 2 * e * x, layer: layer), .memory(.swiglu, bytes: 2 * e * x, layer: layer)]
    }

    /// Unfused attention of one micro-batch (``SoftwareProfile/AttentionKernel/unfused``): per
    /// sequence and local head (a batch of B = heads/tp × sequences GEMMs per kernel) over the
    /// whole score matrix (the rank's q = s/cp queries × all s keys; q = s without cp), causal or
    /// not. Forward: S = QKᵀ (q×s×d_qk), a scale-mask-softmax reading S and writing P (2 elements
    /// per score), O = PV (q×d_v×s). Backward: dV = PᵀdO (s×d_v×q), dP = dO·Vᵀ (q×s×d_v), the
    /// softmax backward reading P and dP and writing dS (3 per score), dQ = dS·K (q×d_qk×s) and
    /// dK = dSᵀQ (s×d_qk×q). With attention dropout, a dropout kernel after the softmax and its
    /// backward before the softmax's, 2e + 1 bytes per score each.
    func unfusedAttention(block: Int) -> (forward: [WorkItem], backward: [WorkItem]) {
        // A rank's queries are its 1/cp of the sequence; its keys the whole sequence (gathered).
        let attention = model.attention, s = Double(setup.sequenceLength), e = elementBytes
        let queries = s / Double(max(1, setup.cp))
        let qk = Double(attention.qkHeadDim), v = Double(attention.valueHeadDim)
        let batch = max(1, attention.heads / max(1, setup.tp)) * setup.microBatchSequences
        let scores = queries * s * Double(batch)
        func bmm(_ m: Double, _ n: Double, _ k: Double) -> WorkItem {
            .gemm(m, n, k, precision: .bf16, layer: block, repeats: Int32(clamping: batch))
        }
        // Attention dropout (SoftwareProfile.attentionDropout): read P, write P' and a 1-byte mask;
        // backward read dP' and the mask, write dP: 2e + 1 bytes per score each way.
        let dropout: [WorkItem] = setup.software.attentionDropout ? [.memory(.dropout, bytes: (2 * e + 1) * scores, layer: block)] : []
        let forward = [bmm(queries, s, qk), .memory(.softmax, bytes: 2 * e * scores, layer: block)] + dropout + [bmm(queries, v, s)]
        let backward = [bmm(s, v, queries), bmm(queries, s, v)] + dropout + [.memory(.softmax, bytes: 3 * e * scores, layer: block),
                        bmm(queries, qk, s), bmm(s, qk, queries)]
        return (forward, backward)
    }

    private func doubled(_ item: WorkItem) -> WorkItem {
        var copy = item
        copy.bytes *= 2
        return copy
    }

    private func attention(_ work: inout BlockWork, block: Int, isMoE: Bool) {
        let t = tokens, h = Double(model.hidden), tp = Double(setup.tp), e = elementBytes
        let attention = model.attention
        var castInputs = 0.0
        for projection in attention.projections(hidden: model.hidden) {
            let inputs = Double(projection.inputs), outputs = Double(projection.outputs) / tp
            work.attentionForward.append(gemm(t, outputs, inputs, block))
            work.attentionBackward.append(gemm(t, inputs, outputs, block))
            work.weight.append(gemm(inputs, outputs, t, block))
            castInputs += inputs
        }
        // Keys per query over the whole sequence: under context parallelism the balanced chunking
        // gives every rank the average causal work, so its t tokens attend that many keys.
        let keys = TransformerModel.attendedKeys(sequence: setup.sequenceLength, causal: true)
        let causalFlops = t * attention.coreFlopsPerToken(keys: keys) / tp
        var forward = WorkItem(kind: .attentionForward), backward = WorkItem(kind: .attentionBackward)
        forward.m = t; forward.flops = causalFlops; forward.layer = Int32(block)
        backward.m = t; backward.flops = 2.5 * causalFlops; backward.layer = Int32(block)
        var exchangeForward: [WorkItem] = [], exchangeBackward: [WorkItem] = []
        let unfused = setup.software.attention == .unfused
        if let ring = contextRing {
            let chunkBytes = t * Double(attention.keyValueWidth) / tp * e
            switch unfused ? .allGather : setup.cpExchange {
            case .ring:
                // cp steps; at each of the cp − 1 after the first a rank passes on the key/value chunk it
                // holds (t tokens, its heads) while attending the one it has; backward passes the keys
                // and values and their gradients (twice the bytes).
                forward.setContextRing(steps: setup.cp, bytesPerStep: chunkBytes, ranksPerNode: ring.perNode, nodes: ring.nodes)
                backward.setContextRing(steps: setup.cp, bytesPerStep: 2 * chunkBytes, ranksPerNode: ring.perNode, nodes: ring.nodes)
            case .allGather:
                // Every chunk's keys and values gathered before attention (cp chunks), gathered again in
                // backward (not kept: an assumption) and their gradients reduce-scattered; not overlapped.
                // Unfused attention (batched GEMMs over the scores) has no ring: it gathers too.
                let gather = WorkItem.collective(.allGather, group: .context, bytes: Double(setup.cp) * chunkBytes,
                                                 ranksPerNode: ring.perNode, nodes: ring.nodes, layer: block)
                var scatter = gather
                scatter.kind = .reduceScatter
                exchangeForward = [gather]
                exchangeBackward = [gather, scatter]
            }
        }
        let core = unfused ? unfusedAttention(block: block) : ([forward], [backward])
        // Norm (read + write h) and residual add (read 2h, write h): 5·h elements per token, on 1/tp
        // of the tokens with sequence parallelism.
        let memory = [WorkItem.memory(.norm, bytes: 2 * e * t * h * sequenceShare, layer: block)]
            + residual(elements: t * h * sequenceShare, layer: block)
            + [.memory(.cast, bytes: castBytes * t * castInputs, layer: block)]
        work.attentionForward += exchangeForward + core.0 + memory
        work.attentionBackward += exchangeBackward + core.1 + memory.map { doubled($0) }
        if isMoE, let moe = model.moe {
            var gate = WorkItem.gemm(t, Double(moe.routedExperts), h, precision: precision, layer: block)
            gate.kind = .gate
            gate.bytes = t * Double(moe.routedExperts) * 8
            work.attentionForward.append(gate)
            work.attentionBackward.append(gate)
        }
        if setup.tp > 1 {
            // Sequence parallelism (Korthikanti et al. 2022, §4.2.2): the all-reduce of t·h becomes a
            // reduce-scatter and an all-gather of the same buffer (each (tp−1)/tp of it per ring, the
            // all-reduce's 2(tp−1)/tp together), one at each end of the block's tensor-parallel region.
            let kinds: [WorkKind] = setup.sequenceParallel ? [.allGather, .reduceScatter] : [.allReduce]
            let group = placement.tensorParallelShape(stage: 0, column: 0)
            work.tensorParallel = kinds.map {
                var item = WorkItem.collective($0, group: .tensor, bytes: t * h * e, ranksPerNode: group.perNode, nodes: group.nodes,
                                               layer: block)
                item.overlapped = setup.overlapTensorParallel
                return item
            }
            work.attentionForward += work.tensorParallel
            work.attentionBackward += work.tensorParallel
        }
    }

    private func experts(_ work: inout BlockWork, block: Int, epIndex: Int, moe: MixtureOfExpertsSpec, route: Int32) {
        let h = Double(model.hidden), tm = tokens / Double(setup.tp)
        let fe = Double(moe.expertFfnWidth), k = Double(moe.topK), ep = Double(setup.ep), e = elementBytes
        let gated = model.gatedFfn ? 2.0 : 1.0
        var forward: [WorkItem] = [], backward: [WorkItem] = [], swigluRows = 0.0
        if moe.sharedExperts > 0 {
            let fs = fe * Double(moe.sharedExperts)
            forward += [gemm(tm, gated * fs, h, block), gemm(tm, h, fs, block)]
            backward += [gemm(tm, h, gated * fs, block), gemm(tm, fs, h, block)]
            work.weight += [gemm(h, gated * fs, tm, block), gemm(fs, h, tm, block)]
            swigluRows += tm * fs
        }
        let shares = expertShares[block]
        let perRank = moe.routedExperts / setup.ep
        // One grouped-GEMM item per distinct row count, repeated for the experts receiving it: a
        // rank's items stay few however many experts it holds.
        var received = 0.0
        var expertsWithRows: [Double: Int32] = [:]
        for expert in (epIndex * perRank)..<((epIndex + 1) * perRank) {
            let m = (tm * ep * k * shares[expert]).rounded()
            received += m
            swigluRows += m * fe
            expertsWithRows[m, default: 0] += 1
        }
        for (m, count) in expertsWithRows.sorted(by: { $0.key > $1.key }) {
            forward += [gemm(m, gated * fe, h, block, grouped: true, repeats: count), gemm(m, h, fe, block, grouped: true, repeats: count)]
            backward += [gemm(m, h, gated * fe, block, grouped: true, repeats: count), gemm(m, fe, h, block, grouped: true, repeats: count)]
            work.weight += [gemm(h, gated * fe, m, block, grouped: true, repeats: count),
                            gemm(fe, h, m, block, grouped: true, repeats: count)]
        }
        let memory = normAndResidual(elements: tokens * h * sequenceShare, layer: block) + activation(elements: swigluRows, layer: block) + [
                      .memory(.permute, bytes: received * h * e * 2 + tm * k * h * e + tm * h * e, layer: block),
                      .memory(.cast, bytes: castBytes * (received * h + swigluRows), layer: block)]
        work.mlpForward = forward + memory
        work.mlpBackward = backward + memory.map { doubled($0) }
        guard setup.ep > 1 else { return }
        work.moe = true
        let fp8Dispatch = setup.precision == .fp8 ? 1 + 4.0 / 128 : e
        let expertGroup = placement.expertParallelShape(stage: 0, column: 0)
        func allToAll(_ kind: WorkKind, _ elementBytes: Double) -> WorkItem {
            var item = WorkItem(kind: kind)
            item.m = tm; item.n = h; item.k = k; item.bytes = tm * k * h * elementBytes
            item.precision = elementBytes < 2 ? .fp8 : elementBytes < 4 ? .bf16 : .fp32
            item.group = .expert; item.layer = Int32(block); item.route = route
            item.ranksPerNode = Int32(expertGroup.perNode); item.nodes = Int32(expertGroup.nodes)
            return item
        }
        work.dispatchForward = allToAll(.dispatch, fp8Dispatch)
        work.combineForward = allToAll(.combine, e)
        work.dispatchBackward = allToAll(.dispatch, e)
        work.combineBackward = allToAll(.combine, e)
    }

    private func recompute(_ work: BlockWork, block: Int, isMoE: Bool) -> [WorkItem] {
        let t = tokens, h = Double(model.hidden), tp = Double(setup.tp), e = elementBytes
        switch setup.recompute {
        case .none: return []
        case .selective:
            var swiglu = 0.0
            if isMoE {
                swiglu = work.mlpForward.filter { $0.elementwise == .swiglu }.reduce(0) { $0 + $1.bytes }
            } else {
                swiglu = t * Double(model.denseFfnWidth) / tp * 3 * e
            }
            var items = [WorkItem.memory(.recompute, bytes: 2 * e * t * h * sequenceShare + swiglu, layer: block)]
            let attention = model.attention
            if attention.kind == .mla {
                let heads = Double(attention.heads) / tp
                if attention.qLoraRank > 0 { items.append(gemm(t, heads * Double(attention.qkHeadDim), Double(attention.qLoraRank), block)) }
                items.append(gemm(t, heads * Double(attention.qkNopeHeadDim + attention.vHeadDim), Double(attention.kvLoraRank), block))
            }
            // Unfused attention stores no s² scores under selective recompute: its core (QKᵀ,
            // softmax, PV) is redone in backward (Korthikanti et al., arXiv:2205.05198 §4.2).
            if setup.software.attention == .unfused { items += unfusedAttention(block: block).forward }
            return items
        case .full: return work.attentionForward + work.mlpForward
        }
    }

    /// Output head and loss, forward.
    public func headForward(layer: Int = -1) -> [WorkItem] {
        let t = tokens, v = Double(model.vocabulary) / Double(setup.tp), h = Double(model.hidden)
        return [gemm(t, v, h, layer), .memory(.loss, bytes: t * v * elementBytes * 3, layer: layer)]
    }

    /// Output head and loss, input-gradient pass.
    public func headBackward(layer: Int = -1) -> [WorkItem] {
        let t = tokens, v = Double(model.vocabulary) / Double(setup.tp), h = Double(model.hidden)
        return [gemm(t, h, v, layer), .memory(.loss, bytes: t * v * elementBytes * 3, layer: layer)]
    }

    /// Output head weight gradient.
    public func headWeight(layer: Int = -1) -> WorkItem {
        gemm(Double(model.hidden), Double(model.vocabulary) / Double(setup.tp), tokens, layer)
    }

    /// Embedding lookup (forward) or its gradient scatter (backward).
    public func embedding() -> WorkItem {
        .memory(.embedding, bytes: tokens * Double(model.hidden) * elementBytes * 2)
    }
}
