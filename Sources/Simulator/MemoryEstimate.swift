import Program
import Workload

/// Memory per GPU for the worst pipeline stage: weights, gradients, optimizer states (sharded by
/// ZeRO stage), stored activations (peak over the rank's schedule, by recompute policy and
/// precision) and a fixed workspace. A setup that does not fit is reported, never timed.
///
/// Assumptions (docs/simulate.md, "The model"): BF16 weights (under ZeRO-3 the rank's shard plus
/// the gathered copy its `gathers` mode holds, ``gatheredParameters(setup:parameters:stage:)``);
/// FP32 gradients (accumulated over micro-batches); optimizer = FP32 master + two moments, FP32 (12 B/param) or BF16 moments under
/// the FP8 recipe (8 B/param, DeepSeek-V3 report §3.3); activations kept until the input-gradient
/// pass; 4 GB workspace (CUDA context, communication buffers, allocator slack).
public struct MemoryEstimate: Sendable, Equatable, Codable {
    public var weightsBytes = 0.0
    public var gradientsBytes = 0.0
    public var optimizerBytes = 0.0
    public var activationsBytes = 0.0
    public var workspaceBytes = 4e9
    /// The chip's memory.
    public var capacityBytes = 0.0
    /// Stage whose rank needs the most.
    public var worstStage = 0

    public var totalBytes: Double { weightsBytes + gradientsBytes + optimizerBytes + activationsBytes + workspaceBytes }
    public var fits: Bool { totalBytes <= capacityBytes }

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case weightsBytes, gradientsBytes, optimizerBytes, activationsBytes, workspaceBytes, capacityBytes, worstStage, totalBytes
    }

    /// Encodes the parts and their total.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(weightsBytes, forKey: .weightsBytes); try c.encode(gradientsBytes, forKey: .gradientsBytes)
        try c.encode(optimizerBytes, forKey: .optimizerBytes); try c.encode(activationsBytes, forKey: .activationsBytes)
        try c.encode(workspaceBytes, forKey: .workspaceBytes); try c.encode(capacityBytes, forKey: .capacityBytes)
        try c.encode(worstStage, forKey: .worstStage); try c.encode(totalBytes, forKey: .totalBytes)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        weightsBytes = try c.decode(Double.self, forKey: .weightsBytes)
        gradientsBytes = try c.decode(Double.self, forKey: .gradientsBytes)
        optimizerBytes = try c.decode(Double.self, forKey: .optimizerBytes)
        activationsBytes = try c.decode(Double.self, forKey: .activationsBytes)
        workspaceBytes = try c.decode(Double.self, forKey: .workspaceBytes)
        capacityBytes = try c.decode(Double.self, forKey: .capacityBytes)
        worstStage = try c.decode(Int.self, forKey: .worstStage)
    }

    /// Stored activation bytes of one token through `block`, tensor by tensor.
    ///
    /// Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models"
    /// (arXiv:2205.05198, §4), count a GPT layer (FP16, s tokens, b sequences, h hidden, a heads,
    /// t-way TP) as sbh·(34 + 5as/h) bytes without parallelism; sbh·(10 + 24/t + 5as/(ht)) with
    /// tensor parallelism, whose 10·sbh are the tensors TP leaves whole on every rank (the two
    /// norms' inputs, the inputs of the QKV and first MLP GEMMs, dropout masks); sbh/t·(34 +
    /// 5as/h) with sequence parallelism, which shards those too; selective recomputation removes
    /// the 5as/h term (the attention scores). This model counts the tensors of the configured
    /// architecture the same way (no dropout, flash attention keeps softmax statistics instead of
    /// scores, SwiGLU and MLA widths): the whole-on-every-rank terms are the residual inputs and
    /// norm outputs of both sublayers, 2h bytes each, divided by tp under sequence parallelism.
    static func activationBytesPerToken(model: TransformerModel, setup: TrainingSetup, block: Int) -> Double {
        let h = Double(model.hidden), tp = Double(setup.tp)
        let a = model.attention
        let cached = setup.precision == .fp8 ? 1.0 : 2.0   // GEMM inputs cached in FP8 (DeepSeek-V3 §3.3.2)
        let selective = setup.recompute == .selective
        // The tensors tensor parallelism leaves whole: 1/tp of the tokens with sequence parallelism.
        let whole = setup.sequenceParallel ? 2 * h / tp : 2 * h
        if setup.recompute == .full { return whole }       // only the block input
        var bytes = whole                                   // residual input
        let heads = Double(a.heads) / tp
        // Attention.
        if !selective { bytes += whole }                    // norm output
        switch a.kind {
        case .mla:
            bytes += 2 * Double(a.qLoraRank + a.kvLoraRank + a.qkRopeHeadDim)
            if !selective { bytes += 2 * heads * Double(2 * a.qkHeadDim + a.vHeadDim) }
        case .mha, .gqa:
            bytes += 2 * Double(a.heads + 2 * a.kvHeads) * Double(a.headDim) / tp
        }
        bytes += cached * heads * Double(a.valueHeadDim) + 4 * heads   // attention output + softmax statistics
        // Unfused attention keeps its softmax output for backward, a row of s keys per query and
        // local head (and with attention dropout its 1-byte mask and output): Korthikanti et al.'s
        // 5as/h term per token·h (2 + 1 + 2 bytes). Selective recompute redoes that core instead.
        if setup.software.attention == .unfused && setup.recompute == .none {
            let keys = Double(setup.sequenceLength)
            bytes += heads * keys * (2 + (setup.software.attentionDropout ? 3 : 0))
        }
        // FFN.
        bytes += whole + (selective ? 0 : whole)            // residual input, norm output
        let layer = min(block, model.layers - 1)
        if let moe = model.moe, model.isMoELayer(layer) {
            let k = Double(moe.topK)
            let active = Double(moe.topK + moe.sharedExperts), fe = Double(moe.expertFfnWidth)
            // With SP the MoE layer routes the rank's 1/tp of the tokens (as the program's experts do).
            var moeBytes = 4 * Double(moe.routedExperts)     // router probabilities
            moeBytes += cached * k * h                       // dispatched tokens (expert inputs)
            moeBytes += cached * active * 2 * fe             // SwiGLU inputs
            if !selective { moeBytes += 2 * active * fe }    // SwiGLU outputs
            bytes += setup.sequenceParallel ? moeBytes / tp : moeBytes
            // Expert outputs are not kept: the gate gradient dL/dg = (Wdᵀ·dy)·a uses the down
            // projection's input gradient and its input a (stored or recomputed SwiGLU output).
        } else {
            let f = Double(model.denseFfnWidth) / tp
            bytes += cached * 2 * f + (selective ? 0 : 2 * f)
        }
        return bytes
    }

    /// ZeRO-3's gathered copy of a `stage` rank's weights at its peak (none below ZeRO-3, where the
    /// weights are whole already): gathered once per step and kept (``ShardedGathers/step``), or
    /// before each block's forward and kept until its backward (``ShardedGathers/forward``: with
    /// micro-batches in flight every block stays gathered from the first forward to the last
    /// backward), all of the stage's; re-gathered for the backward and freed after each pass
    /// (``ShardedGathers/forwardBackward``), the block being computed and the next one prefetched
    /// (at most the stage's weights).
    static func gatheredParameters(setup: TrainingSetup, parameters: RankParameters, stage: Int) -> Double {
        guard setup.zeroStage >= 3 else { return 0 }
        switch setup.shardedGathers {
        case .step, .forward: return parameters.share(stage: stage, sharded: false)
        case .forwardBackward:
            return min(2 * parameters.largestBlock[stage], parameters.share(stage: stage, sharded: false))
        }
    }

    /// Estimates memory for every stage and keeps the worst.
    public static func estimate(model: TransformerModel, setup: TrainingSetup, layout: PipelineLayout,
                                parameters: RankParameters, capacityBytes: Double) -> MemoryEstimate {
        // A rank holds its 1/cp of each sequence (context parallelism).
        let tokens = Double(setup.microBatchSequences * setup.sequenceLength) / Double(setup.cp)
        let builder = PipelineScheduleBuilder(kind: setup.schedule, layout: layout)
        var worst = MemoryEstimate()
        worst.capacityBytes = capacityBytes
        var worstTotal = -1.0
        // Full recompute: one block's full activations are live while it is recomputed.
        var recomputedBlockBytes = 0.0
        if setup.recompute == .full {
            var full = setup
            full.recompute = .none
            let largest = (0..<(model.layers + model.mtpModules)).map { activationBytesPerToken(model: model, setup: full, block: $0) }.max() ?? 0
            recomputedBlockBytes = largest * tokens
        }
        for stage in 0..<setup.pp {
            var estimate = MemoryEstimate()
            estimate.capacityBytes = capacityBytes
            estimate.worstStage = stage
            // ZeRO shards over the groups holding the same weights (dp·cp ranks, both mirror stages
            // under DualPipe), as the program's optimizer does (``RankParameters/share(stage:sharded:)``).
            func sharded(_ enabled: Bool) -> Double { parameters.share(stage: stage, sharded: enabled) }
            estimate.weightsBytes = 2 * (sharded(setup.zeroStage >= 3) + gatheredParameters(setup: setup, parameters: parameters, stage: stage))
            estimate.gradientsBytes = 4 * sharded(setup.zeroStage >= 2)
            estimate.optimizerBytes = (setup.precision == .fp8 ? 8 : 12) * sharded(setup.zeroStage >= 1)
            // Activations: the schedule's peak of what each chunk holds.
            var chunkBytes: [Double] = []
            for chunk in 0..<layout.chunksPerRank {
                let position = layout.position(stage: stage, chunk: chunk).position
                let bytes = layout.blocks[position].reduce(0.0) { $0 + activationBytesPerToken(model: model, setup: setup, block: $1) }
                chunkBytes.append(bytes * tokens)
            }
            estimate.activationsBytes += recomputedBlockBytes
            let peak = builder.liveChunkPeaks(stage: stage).map { counts in
                zip(counts, chunkBytes).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            }.max() ?? 0
            estimate.activationsBytes += peak
            if estimate.totalBytes > worstTotal {
                worstTotal = estimate.totalBytes
                worst = estimate
            }
        }
        return worst
    }
}
