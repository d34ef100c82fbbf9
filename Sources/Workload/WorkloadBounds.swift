/// The ranges the numbers of job, model and training files must fall in, and why. Every shipped
/// file and every realistic setup (DeepSeek-V3 on 2048 GPUs, a 1-trillion-parameter dense
/// model) is far inside them; what they exclude would overflow an `Int` product, exhaust memory,
/// exceed an MPI count or trap a conversion downstream (docs/running-jobs.md, "Bounds on numbers").
public enum WorkloadBounds {
    /// MPI counts are C `int`s: one matrix or one message holds at most 2³¹−1 elements.
    public static let mpiCount = Int(Int32.max)
    /// Seeds: any non-negative 64-bit integer.
    public static let seed = 0...Int.max
    /// Relative-error tolerances: 1 would accept any result.
    public static let tolerance = 1e-12...1.0

    // MARK: Job files

    /// A GEMM side: a 1-wide matrix of that side must still fit an MPI count.
    public static let matrixSide = 1...mpiCount
    /// Repetitions of a task, steps of a MoE task, EPLB intervals (a million is days of runtime).
    public static let repetitions = 1...1_000_000
    /// Items of a batch task: 2²⁰, so per-item arrays stay small and sums of item sizes fit in an `Int`.
    public static let batchItems = 1...1_048_576
    /// Sides of a generated batch item: side² must fit an MPI count (46340² < 2³¹).
    public static let generatedSide = 1...46_340
    /// Skew and Zipf exponents: beyond 100 every weight but the first underflows to 0.
    public static let skew = 0.0...100.0
    /// MoE tokens per rank per step: 2²⁴.
    public static let moeTokens = 1...16_777_216
    /// MoE widths (`hidden`, `expertFfnWidth`): 2¹⁶, far above DeepSeek-V3's 7168.
    public static let moeWidth = 1...65_536
    /// Routed experts and groups: 2¹⁶ (DeepSeek-V3: 256), so per-expert arrays stay small.
    public static let experts = 1...65_536
    /// Shared experts: 2¹⁰.
    public static let sharedExperts = 0...1_024
    /// Ranks per virtual node: 2²⁴, the largest rank count considered anywhere.
    public static let ranks = 1...16_777_216
    /// Gate scale (DeepSeek-V3: 2.5).
    public static let routeScale = 1e-6...1e6
    /// Capacity factor: 10⁴ × the mean load is no limit at all; the product with the mean must fit an `Int`.
    public static let capacityFactor = 1e-3...1e4
    /// Bias step of auxiliary-loss-free balancing.
    public static let biasStep = 1e-9...1.0
    /// Affinity drift: a fraction of the experts per step (the ranking is cyclic, so ±1 covers every rotation).
    public static let drift = -1.0...1.0
    /// The deprecated `[constraints] computeScale` (1 / slowdown): a rank at most 1000× slower.
    public static let computeScale = 1e-3...1.0
    /// Bandwidth caps in GB/s: 1 MB/s to 1 PB/s (the pacer divides bytes by it).
    public static let bandwidthGbPerSecond = 1e-3...1e6
    /// `[cluster.*] latencyUs`: up to one second per transfer.
    public static let latencyUs = 0.0...1e6
    /// Tokens × ranks × topK of a MoE task: a capacity of 10⁴ × the mean must fit an `Int` exactly.
    public static let moePairs = 1 << 40

    // MARK: Model files

    /// Transformer layers: 10⁴ (the largest published models have under 200).
    public static let layers = 1...10_000
    /// One entry of a training file's `stageLayers`: a layer count, 0 allowed (an interleaved
    /// pipeline's first and last virtual stages may hold only the embedding or the head).
    public static let stageLayers = 0...10_000
    /// Model width: 2²⁰ (the largest published: 2¹⁴–2¹⁵).
    public static let hidden = 1...1_048_576
    /// FFN widths (dense and per expert): 2²⁰.
    public static let ffnWidth = 1...1_048_576
    /// Vocabulary: 2²⁴ (the largest published: ≈2.6·10⁵).
    public static let vocabulary = 1...16_777_216
    /// MTP modules (DeepSeek-V3: 1).
    public static let mtpModules = 0...64
    /// Attention heads and per-head dimensions: 2¹⁶.
    public static let heads = 1...65_536
    /// MLA low-rank dimensions: 2²⁰.
    public static let loraRank = 1...1_048_576
    /// A model's parameters: 2⁵³, exact in a `Double` and far from `Int` overflow in every sum.
    public static let parameters = 1 << 53

    // MARK: Training files

    /// Tokens per sequence: 2²⁴.
    public static let sequenceLength = 1...16_777_216
    /// Sequences per step and per micro-batch: 2²⁰ (DeepSeek-V3: 15360), so micro-batch counts stay simulable.
    public static let batchSequences = 1...1_048_576
    /// Tokens to train: 10¹⁸ (DeepSeek-V3: 1.48·10¹³).
    public static let tokensToTrain = 1.0...1e18
    /// A real training step's sequence length (`kind = "train"`): 2¹⁶ (attention runs on a CPU core).
    public static let trainSequenceLength = 1...65_536
    /// Steps of a `train` task: 10⁶.
    public static let trainSteps = 1...1_000_000
    /// AdamW learning rate of a `train` task.
    public static let learningRate = 1e-12...10.0
    /// One parallel degree, and tp × pp × dp: 2²⁴ GPUs.
    public static let degree = 1...16_777_216
    /// ZeRO stages.
    public static let zeroStage = 0...3
    /// Virtual stages of `interleaved(v)`: 2…1024 (each is at least one layer per rank).
    public static let virtualStages = 2...1_024
    /// SMs kept for communication (DeepSeek-V3: 20 of 132).
    public static let communicationSMs = 0...65_536
    /// Seconds each kernel launch adds, in µs (`[software] kernelLaunchUs`): up to 1 s.
    public static let kernelLaunchUs = 0.0...1e6
    /// Fraction of the chip's compute-kernel efficiencies a software stack sustains
    /// (`[software] kernelFraction`).
    public static let kernelFraction = 0.01...1.0
    /// Zipf exponent of the expert load.
    public static let zipfExponent = 1e-3...100.0
    /// Tokens per expert in a histogram file: 2⁴⁰, so sums over 2¹⁶ experts fit an `Int`.
    public static let histogramCount = 0...(1 << 40)
    /// Straggler slowdown factor; a job's `[cluster] slowdown` (the inverse of `computeScale`).
    public static let slowdown = 1.0...1000.0
    /// σ of the log-normal straggler factor exp(σ·N(0,1)): 5 already makes one rank in a thousand ≈5·10⁶× slower.
    public static let logNormalSigma = 0.0...5.0
}
