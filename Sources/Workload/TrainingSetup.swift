/// How a model is trained: sequence length and batch, tokens to train, parallel degrees, ZeRO
/// stage, pipeline schedule, recomputation, precision, SMs kept for communication, expert load
/// and stragglers. Loaded from `Cluster/train/*.toml` and/or command-line flags; check it with
/// ``validate(model:gpuCount:)`` before simulating.
public struct TrainingSetup: Sendable, Equatable {
    /// Tokens per sequence.
    public var sequenceLength = 4096
    /// Sequences per optimizer step, all data-parallel replicas together.
    public var globalBatchSequences = 1024
    /// Sequences per micro-batch on one pipeline.
    public var microBatchSequences = 1
    /// Tokens of the whole run (for GPU-hours, days, cost).
    public var tokensToTrain = 1e12
    /// Tensor-parallel degree.
    public var tp = 1
    /// Pipeline-parallel degree.
    public var pp = 1
    /// Expert-parallel degree (carved out of dp × tp).
    public var ep = 1
    /// Data-parallel degree.
    public var dp = 1
    /// ZeRO stage 0–3 (1: optimizer states sharded; 2: + gradients; 3: + weights).
    public var zeroStage = 1
    /// Pipeline schedule.
    public var schedule = PipelineScheduleKind.oneFOneB
    /// Model chunks per rank for the interleaved schedule.
    public var virtualStages = 1
    /// Activation recomputation.
    public var recompute = RecomputePolicy.none
    /// GEMM precision.
    public var precision = TrainingPrecision.bf16
    /// Streaming multiprocessors reserved for communication kernels (DeepSeek-V3: 20 of 132).
    public var communicationSMs = 0
    /// The software stack: GEMM timing, attention kernel, fusion, launch cost (``SoftwareProfile``).
    public var software = SoftwareProfile.deepseekV3
    /// Expert load across experts.
    public var expertLoad = ExpertLoadModel.uniform
    /// Slow ranks.
    public var stragglers = StragglerModel.none
    /// Seed of every random draw (zipf permutations, straggler factors).
    public var seed: UInt64 = 1

    public init() {}

    /// Micro-batches each pipeline runs per step.
    public var microBatches: Int { globalBatchSequences / max(1, dp * microBatchSequences) }
    /// Tokens per optimizer step.
    public var tokensPerStep: Double { Double(globalBatchSequences) * Double(sequenceLength) }
    /// GPUs the degrees use.
    public var gpuCount: Int { tp * pp * dp }
}
