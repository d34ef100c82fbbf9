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
    /// Simulation bookkeeping.
    public var ranksSimulated: Int
    public var events: Int
    public var simulationWallSeconds: Double
    public var eventsPerSecond: Double
    public var seed: UInt64
}
