/// One rank's measurements for one step of an MoE layer task (`"type": "moe"` in
/// `results.jsonl`). Every field but the identity and `expertLoads` is optional so that files
/// from older or newer writers still decode.
public struct MoERecord: Codable, Sendable, Equatable {
    public var type = "moe"
    public var job: String
    public var task: String
    public var taskIndex: Int
    /// `moe`.
    public var kind: String?
    public var rank: Int
    public var ranks: Int
    /// The training step (0-based).
    public var step: Int
    public var computeSeconds: Double?
    public var dispatchSeconds: Double?
    public var combineSeconds: Double?
    /// Communication time not hidden behind computation.
    public var exposedCommSeconds: Double?
    public var tokensPerSecond: Double?
    public var gflops: Double?
    /// Global tokens routed to each expert in this step (the same on every rank).
    public var expertLoads: [Int]
    /// Largest expert load over the mean load.
    public var imbalance: Double?
    public var verified: Bool?

    public init(job: String, task: String, taskIndex: Int, kind: String? = "moe", rank: Int, ranks: Int, step: Int,
                computeSeconds: Double? = nil, dispatchSeconds: Double? = nil, combineSeconds: Double? = nil,
                exposedCommSeconds: Double? = nil, tokensPerSecond: Double? = nil, gflops: Double? = nil,
                expertLoads: [Int], imbalance: Double? = nil, verified: Bool? = nil) {
        self.job = job
        self.task = task
        self.taskIndex = taskIndex
        self.kind = kind
        self.rank = rank
        self.ranks = ranks
        self.step = step
        self.computeSeconds = computeSeconds
        self.dispatchSeconds = dispatchSeconds
        self.combineSeconds = combineSeconds
        self.exposedCommSeconds = exposedCommSeconds
        self.tokensPerSecond = tokensPerSecond
        self.gflops = gflops
        self.expertLoads = expertLoads
        self.imbalance = imbalance
        self.verified = verified
    }
}
