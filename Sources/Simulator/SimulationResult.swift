/// What one simulated training step predicts, and what it implies for the whole run.
/// Time-derived fields are nil when the setup does not fit in memory.
public struct SimulationResult: Sendable, Codable {
    public var cluster: String
    public var model: String
    public var chip: String
    public var gpus: Int
    /// e.g. "tp=1,pp=16,ep=64,dp=128,zero=1".
    public var parallel: String
    public var schedule: String
    public var precision: String
    public var recompute: String
    /// The software profile that timed the kernels (``SoftwareProfile/summary``); nil in results
    /// written before it was recorded.
    public var software: String?
    public var microBatches: Int
    public var tokensPerStep: Double
    /// Model FLOPs per token (forward + backward, main model, no recompute), without and with causal masking.
    public var modelFlopsPerToken: Double
    public var modelFlopsPerTokenCausal: Double
    /// Memory.
    public var fits: Bool
    public var memoryPerGpuBytes: Double
    public var memory: MemoryEstimate
    /// Timing (nil when it does not fit).
    public var stepSeconds: Double?
    public var tokensPerSecondPerGpu: Double?
    /// Model FLOPs / (time × BF16 dense peak), non-causal and causal.
    public var mfu: Double?
    public var mfuCausal: Double?
    public var tflopsPerGpu: Double?
    public var gpuHoursPerTrillionTokens: Double?
    public var tokensToTrain: Double
    public var trainDays: Double?
    public var gpuHours: Double?
    public var costUsd: Double?
    public var energyKwh: Double?
    public var breakdown: StepBreakdown?
    /// Failures over the whole run (``GoodputModel``): checkpoint interval, expected failures,
    /// goodput, and the wall-clock days, GPU-hours and dollars with failures.
    public var goodput: GoodputEstimate?
    public var trainDaysWithFailures: Double?
    public var gpuHoursWithFailures: Double?
    public var costUsdWithFailures: Double?
    /// Simulation bookkeeping.
    public var ranksSimulated: Int
    /// Ranks the event simulation ran: every rank, or one per class of identical data-parallel
    /// replicas (``RankFold``), whose timelines stand for the rest.
    public var ranksRun = 0
    public var events: Int
    public var simulationWallSeconds: Double
    public var eventsPerSecond: Double
    public var seed: UInt64

    /// Writes every key, with `null` for the timing of a setup that does not fit.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cluster, forKey: .cluster); try c.encode(model, forKey: .model); try c.encode(chip, forKey: .chip)
        try c.encode(gpus, forKey: .gpus); try c.encode(parallel, forKey: .parallel); try c.encode(schedule, forKey: .schedule)
        try c.encode(precision, forKey: .precision); try c.encode(recompute, forKey: .recompute)
        try c.encode(software, forKey: .software)
        try c.encode(microBatches, forKey: .microBatches); try c.encode(tokensPerStep, forKey: .tokensPerStep)
        try c.encode(modelFlopsPerToken, forKey: .modelFlopsPerToken)
        try c.encode(modelFlopsPerTokenCausal, forKey: .modelFlopsPerTokenCausal)
        try c.encode(fits, forKey: .fits); try c.encode(memoryPerGpuBytes, forKey: .memoryPerGpuBytes)
        try c.encode(memory, forKey: .memory)
        try c.encode(stepSeconds, forKey: .stepSeconds); try c.encode(tokensPerSecondPerGpu, forKey: .tokensPerSecondPerGpu)
        try c.encode(mfu, forKey: .mfu); try c.encode(mfuCausal, forKey: .mfuCausal); try c.encode(tflopsPerGpu, forKey: .tflopsPerGpu)
        try c.encode(gpuHoursPerTrillionTokens, forKey: .gpuHoursPerTrillionTokens); try c.encode(tokensToTrain, forKey: .tokensToTrain)
        try c.encode(trainDays, forKey: .trainDays); try c.encode(gpuHours, forKey: .gpuHours); try c.encode(costUsd, forKey: .costUsd)
        try c.encode(energyKwh, forKey: .energyKwh); try c.encode(breakdown, forKey: .breakdown)
        try c.encode(goodput, forKey: .goodput); try c.encode(trainDaysWithFailures, forKey: .trainDaysWithFailures)
        try c.encode(gpuHoursWithFailures, forKey: .gpuHoursWithFailures); try c.encode(costUsdWithFailures, forKey: .costUsdWithFailures)
        try c.encode(ranksSimulated, forKey: .ranksSimulated); try c.encode(ranksRun, forKey: .ranksRun)
        try c.encode(events, forKey: .events)
        try c.encode(simulationWallSeconds, forKey: .simulationWallSeconds); try c.encode(eventsPerSecond, forKey: .eventsPerSecond)
        try c.encode(seed, forKey: .seed)
    }
}
