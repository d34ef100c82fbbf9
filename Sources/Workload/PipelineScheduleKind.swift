/// The pipeline-parallel schedule of a training step.
public enum PipelineScheduleKind: String, Sendable, CaseIterable {
    /// One-forward-one-backward (PipeDream-flush / Megatron): bubble (PP−1)(F+B).
    case oneFOneB = "1f1b"
    /// Megatron interleaved 1F1B with `virtualStages` model chunks per rank: bubble (PP−1)(F+B)/v.
    case interleaved
    /// Zero-bubble ZB-H1 (backward split into input- and weight-gradient parts): (PP−1)(F+B−2W).
    case zb1p
    /// DeepSeek's DualPipe: two mirrored chunks per rank, micro-batches from both ends, forward and
    /// backward chunks overlapped with their all-to-alls: (PP/2−1)(F&B+B−3W).
    case dualpipe
}

/// What activations are recomputed in the backward pass instead of stored.
public enum RecomputePolicy: String, Sendable, CaseIterable {
    /// Store everything.
    case none
    /// Recompute cheap, memory-heavy parts (norms, activation functions, MLA up-projections).
    case selective
    /// Store only layer inputs; rerun each layer's forward in backward.
    case full
}

/// How context-parallel ranks get the keys and values of the other chunks.
public enum ContextParallelExchange: String, Sendable, CaseIterable {
    /// Ring attention (Megatron-Core's `p2p`): cp − 1 send/receive steps overlapped with attention.
    case ring
    /// All-gather of the keys and values before attention, reduce-scatter of their gradients in
    /// backward, not overlapped (Llama 3's CP, Dubey et al. 2024 §3.3.2).
    case allGather
}

/// When ZeRO-3 (FSDP) gathers the sharded parameters.
public enum ShardedGathers: String, Sendable, CaseIterable {
    /// Once per step, after the optimizer (a lower bound: as if the gathered weights were kept).
    case step
    /// Before every micro-batch's forward, block by block, kept until its backward (FSDP with
    /// `reshard_after_forward=False`).
    case forward
    /// Before every forward and again before every backward (FSDP's default
    /// `reshard_after_forward=True`: weights freed after the forward).
    case forwardBackward
}

/// Precision of the GEMMs (master weights and optimizer stay FP32, as DeepSeek-V3 did).
public enum TrainingPrecision: String, Sendable, CaseIterable {
    case bf16
    case fp8
    /// Everything in FP32: what `frugal run` computes and sends for a `train` task (its program
    /// says so, so `--predict` costs 4-byte elements and the FP32 peak).
    case fp32

    /// The precisions a GPU training run chooses from (the plan search's).
    public static let gpuCases: [TrainingPrecision] = [.bf16, .fp8]

    /// Bytes of an activation, gradient or weight element moved between kernels and ranks
    /// (FP8 GEMM inputs are cast separately): 4 in FP32, else 2 (BF16).
    public var elementBytes: Double { self == .fp32 ? 4 : 2 }
}
