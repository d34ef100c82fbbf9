/// One rank's measurements for one step of a `moe` task (`"type": "moe"` in `results.jsonl`).
///
/// Communication times are the seconds this rank spent *blocked* in each kind of MPI call:
/// without overlap that is the whole transfer; with micro-batch overlap, transfers proceed while
/// the rank computes and only the blocked part counts (that is the exposed communication).
public struct MoEStepRecord: Codable, Sendable, Equatable {
    public var type = "moe"
    public var job: String
    public var task: String
    public var taskIndex: Int
    public var kind = "moe"
    public var rank: Int
    public var ranks: Int
    public var host: String
    public var step: Int
    /// Tokens this rank held this step.
    public var tokens: Int
    public var microBatches: Int
    /// `none`, `auxFree` or `eplb`.
    public var balance: String
    /// Whether the step ran the backward pass too (times and FLOPs then include it, and
    /// verification covers input and expert weight gradients).
    public var backward: Bool
    /// Router, routed and shared experts, weighted sum.
    public var computeSeconds: Double
    /// Blocked in the dispatch all-to-all-v (and the count exchange).
    public var dispatchSeconds: Double
    /// Blocked in the combine all-to-all-v.
    public var combineSeconds: Double
    /// All blocked communication: dispatch + combine (+ capacity and load all-reduces).
    public var exposedCommSeconds: Double
    /// The step, start to end, on this rank.
    public var wallSeconds: Double
    /// Bytes of token rows this rank sent to / received from each peer (dispatch; combine mirrors it).
    public var bytesSentPerPeer: [Int]
    public var bytesReceivedPerPeer: [Int]
    /// `tokens / wallSeconds`.
    public var tokensPerSecond: Double
    /// Forward FLOPs of the rows this rank computed (router, routed experts on received rows,
    /// shared experts) / `computeSeconds` / 1e9.
    public var gflops: Double
    /// nccl-tests bus bandwidth of the dispatch and combine all-to-all-v: bytes sent / blocked
    /// seconds × (n−1)/n, in GB/s (0 when nothing was blocked or on one rank).
    public var dispatchBusbwGbPerSecond: Double
    public var combineBusbwGbPerSecond: Double
    /// Rows received per rank: max / mean over ranks (1 = perfectly balanced).
    public var imbalance: Double
    /// Rows this rank received (expert work it did).
    public var rowsReceived: Int
    /// Global (token, choice) pairs per expert this step, as routed (same on every rank).
    public var expertLoads: [Int]
    /// Global pairs dropped by the capacity limit this step.
    public var droppedPairs: Int
    /// Σ of this rank's outputs (in Double, token order): equal across runs that computed the
    /// same layer, e.g. a resumed run and an uninterrupted one.
    public var outputChecksum: Double
    /// Whether this rank's outputs matched the single-rank reference within `tolerance`.
    public var verified: Bool
    public var maxAbsError: Double
    public var maxRelError: Double
    public var tolerance: Double
    /// How rows travelled: `window`, `hierarchical` or `alltoallv` (the task's `transport`, with
    /// `auto` resolved); nil in records written before transports existed.
    public var transport: String?
    /// Bytes of token rows this rank's dispatch sent to other nodes (virtual nodes of the job's
    /// `[cluster]`, else hosts; the combine returns as many); nil in records written before.
    public var interNodeBytesSent: Int?

    public init(job: String, task: String, taskIndex: Int, rank: Int, ranks: Int, host: String, step: Int, tokens: Int,
                microBatches: Int, balance: String, backward: Bool, computeSeconds: Double, dispatchSeconds: Double, combineSeconds: Double,
                exposedCommSeconds: Double, wallSeconds: Double, bytesSentPerPeer: [Int], bytesReceivedPerPeer: [Int],
                tokensPerSecond: Double, gflops: Double, dispatchBusbwGbPerSecond: Double, combineBusbwGbPerSecond: Double,
                imbalance: Double, rowsReceived: Int, expertLoads: [Int], droppedPairs: Int, outputChecksum: Double, verified: Bool,
                maxAbsError: Double, maxRelError: Double, tolerance: Double, transport: String? = nil, interNodeBytesSent: Int? = nil) {
        self.job = job; self.task = task; self.taskIndex = taskIndex; self.rank = rank; self.ranks = ranks
        self.host = host; self.step = step; self.tokens = tokens; self.microBatches = microBatches; self.balance = balance; self.backward = backward
        self.computeSeconds = computeSeconds; self.dispatchSeconds = dispatchSeconds; self.combineSeconds = combineSeconds
        self.exposedCommSeconds = exposedCommSeconds; self.wallSeconds = wallSeconds
        self.bytesSentPerPeer = bytesSentPerPeer; self.bytesReceivedPerPeer = bytesReceivedPerPeer
        self.tokensPerSecond = tokensPerSecond; self.gflops = gflops
        self.dispatchBusbwGbPerSecond = dispatchBusbwGbPerSecond; self.combineBusbwGbPerSecond = combineBusbwGbPerSecond
        self.imbalance = imbalance; self.rowsReceived = rowsReceived; self.expertLoads = expertLoads
        self.droppedPairs = droppedPairs; self.outputChecksum = outputChecksum; self.verified = verified; self.maxAbsError = maxAbsError
        self.maxRelError = maxRelError; self.tolerance = tolerance
        self.transport = transport; self.interNodeBytesSent = interNodeBytesSent
    }
}
