/// One rank's record of one step of a `train` task (`type = "train"` in `results.jsonl`):
/// the loss, the throughput, and where the rank's time went by op kind of its program
/// (the same kinds the simulator's breakdown and trace use), checked against the single-rank run.
public struct TrainStepRecord: Codable, Sendable, Equatable {
    public var type = "train"
    public var job: String
    public var task: String
    public var taskIndex: Int
    public var kind = "train"
    public var rank: Int
    public var ranks: Int
    public var host: String
    /// The step (0-based).
    public var step: Int
    /// The rank's pipeline stage and data-parallel column (`RankLayout`).
    public var stage: Int
    public var column: Int
    /// `pp`, `dp`, `ep`, ZeRO stage and schedule (`1f1b`, `interleaved(v)`, `zb1p`, `dualpipe`).
    public var pp: Int, dp: Int, ep: Int, zero: Int
    public var schedule: String
    public var microBatches: Int
    /// Mean cross-entropy of the step's whole batch (every rank reports the step's loss).
    public var loss: Double
    /// The single-rank run's loss of the same step (nil without verification).
    public var referenceLoss: Double?
    /// Tokens of the whole step over this rank's wall time.
    public var tokensPerSecond: Double
    /// Busy in compute ops (forward, backward, weight, optimizer).
    public var computeSeconds: Double
    /// Blocked in communication ops (pipeline receives, all-to-alls, gradient and parameter collectives).
    public var commSeconds: Double
    /// The step, start to end, on this rank.
    public var wallSeconds: Double
    /// Seconds per op kind (`OperationName` raw values: `F`, `B`, `W`, `optimizer`, `dispatch`,
    /// `combine`, `dispatch-bwd`, `combine-bwd`, `grad-sync`, `param-gather`), and `pipeline`:
    /// blocked waiting for a pipeline transfer before an op (kept out of the op's own time).
    public var secondsByKind: [String: Double]
    /// Ops of the rank's program executed this step.
    public var ops: Int
    public var verified: Bool
    /// Largest difference of this rank's updated parameters from the single-rank run's,
    /// relative to the largest parameter magnitude (loss difference included for the last stage).
    public var maxRelError: Double
    public var tolerance: Double

    public init(job: String, task: String, taskIndex: Int, rank: Int, ranks: Int, host: String, step: Int, stage: Int,
                column: Int, pp: Int, dp: Int, ep: Int, zero: Int, schedule: String, microBatches: Int, loss: Double,
                referenceLoss: Double?, tokensPerSecond: Double, computeSeconds: Double, commSeconds: Double,
                wallSeconds: Double, secondsByKind: [String: Double], ops: Int, verified: Bool, maxRelError: Double,
                tolerance: Double) {
        self.job = job; self.task = task; self.taskIndex = taskIndex; self.rank = rank; self.ranks = ranks
        self.host = host; self.step = step; self.stage = stage; self.column = column; self.pp = pp; self.dp = dp
        self.ep = ep; self.zero = zero; self.schedule = schedule; self.microBatches = microBatches; self.loss = loss
        self.referenceLoss = referenceLoss; self.tokensPerSecond = tokensPerSecond; self.computeSeconds = computeSeconds
        self.commSeconds = commSeconds; self.wallSeconds = wallSeconds; self.secondsByKind = secondsByKind
        self.ops = ops; self.verified = verified; self.maxRelError = maxRelError; self.tolerance = tolerance
    }
}
