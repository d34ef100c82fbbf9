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
    /// Context-parallel degree: each sequence is split over `cp` ranks (Megatron's balanced
    /// causal chunking, 2·cp chunks); attention passes the other chunks' keys and values round a
    /// ring. GPUs = tp·cp·pp·dp.
    public var cp = 1
    /// How the context-parallel ranks exchange keys and values (``ContextParallelExchange``).
    public var cpExchange = ContextParallelExchange.ring
    /// Sequence parallelism with tensor parallelism (Korthikanti et al. 2022): the norms, dropout
    /// and residual adds run on 1/tp of the tokens and keep 1/tp of their activations; each
    /// tensor-parallel all-reduce becomes a reduce-scatter and an all-gather. Needs tp > 1.
    public var sequenceParallel = false
    /// How the ranks are placed on the GPUs, innermost first: which groups share a node, a leaf,
    /// a pod (``RankLayout/device(of:)``).
    public var order = ParallelDimension.defaultOrder
    /// ZeRO stage 0–3 (1: optimizer states sharded; 2: + gradients; 3: + weights).
    public var zeroStage = 1
    /// When ZeRO-3 gathers its weights (``ShardedGathers``).
    public var shardedGathers = ShardedGathers.step
    /// Pipeline schedule.
    public var schedule = PipelineScheduleKind.oneFOneB
    /// Model chunks per rank for the interleaved schedule.
    public var virtualStages = 1
    /// Layers of each pipeline stage (pp entries summing to the model's layers; MTP modules join
    /// the last stage), or empty for the even split (first and last stage one fewer where the
    /// layers do not divide). Under the interleaved schedule a stage's layers are split as evenly
    /// as possible over its virtual stages, or the list gives every virtual stage's layers in
    /// pipeline order (pp·v entries, ``pipelinePositions``), where the first and last may hold
    /// none: a chunk with only the embedding or only the output head and loss (Llama 3, §3.3.2).
    public var stageLayers: [Int] = []
    /// Activation recomputation.
    public var recompute = RecomputePolicy.none
    /// Gradient reduction bucketed under the backward pass (Megatron's `--overlap-grad-reduce`):
    /// each block's gradients are reduced as soon as the last micro-batch's backward has produced
    /// them; off, the whole stage's gradients are reduced after its last backward.
    public var overlapGradientReduce = false
    /// Tensor-parallel communication overlapped with the GEMMs of its op (Megatron-Core's
    /// `--tp-comm-overlap`); off, it adds to the op's time (exposed).
    public var overlapTensorParallel = false
    /// Parameter all-gathers (ZeRO ≥ 1) prefetched under the forward pass, block by block
    /// (Megatron's `--overlap-param-gather`); off, gathered after the optimizer, exposed.
    public var overlapParameterGather = false
    /// Pipeline sends split over the tensor-parallel ranks (Megatron-LM's scatter/gather, Narayanan
    /// et al. 2021 §4.1: each TP rank sends 1/tp of the activations over its own NIC, then the
    /// receivers all-gather them over NVLink), as before the key existed; false: every TP rank sends
    /// the whole tensor (DeepSpeed's pipeline engine). With sequence parallelism the boundary tensor
    /// is already 1/tp per rank, so the key changes nothing there.
    public var pipelineScatterGather = true
    /// Pipeline transfers overlapped with compute (asynchronous send, as before the key existed);
    /// false: the sending op waits until its transfer has arrived (a blocking send).
    public var overlapPipelineTransfers = true
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
    /// Pipeline positions a micro-batch passes through: pp·v under the interleaved schedule
    /// (virtual stages), else pp (DualPipe's two directions run the same pp positions).
    public var pipelinePositions: Int { schedule == .interleaved ? pp * virtualStages : pp }
    /// GPUs the degrees use.
    public var gpuCount: Int { tp * cp * pp * dp }
    /// Ranks that hold the same non-expert weights in one stage (their gradients are reduced together): dp·cp.
    public var dataParallelWidth: Int { dp * cp }
}
