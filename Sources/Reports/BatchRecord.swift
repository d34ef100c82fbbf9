/// One rank's part of a `batch` task (`"type": "batch"` in `results.jsonl`): the independent
/// GEMMs it computed under the task's scheduling policy, and the schedule's quality.
public struct BatchRecord: Codable, Sendable, Equatable {
    public var type = "batch"
    public var job: String
    public var task: String
    public var taskIndex: Int
    public var kind = "batch"
    public var rank: Int
    public var ranks: Int
    public var host: String
    /// `static | lpt | dynamic`.
    public var policy: String
    /// Items in the batch, and how many this rank computed.
    public var items: Int
    public var itemsDone: Int
    /// Seconds this rank spent in GEMMs, and waiting (makespan − busy).
    public var busySeconds: Double
    public var idleSeconds: Double
    /// The batch's makespan (start barrier to the last rank's finish), the same on every record.
    public var makespanSeconds: Double
    /// max(total measured item seconds / ranks, longest item): no schedule finishes sooner.
    public var lowerBoundSeconds: Double
    /// lowerBound / makespan (1 = perfect).
    public var efficiency: Double
    public var flops: Double
    /// flops / busySeconds / 1e9.
    public var gflops: Double
    /// Whether every item this rank computed matches rank 0's recomputation.
    public var verified: Bool

    public init(job: String, task: String, taskIndex: Int, rank: Int, ranks: Int, host: String, policy: String, items: Int,
                itemsDone: Int, busySeconds: Double, idleSeconds: Double, makespanSeconds: Double, lowerBoundSeconds: Double,
                efficiency: Double, flops: Double, gflops: Double, verified: Bool) {
        self.job = job; self.task = task; self.taskIndex = taskIndex; self.rank = rank; self.ranks = ranks; self.host = host
        self.policy = policy; self.items = items; self.itemsDone = itemsDone; self.busySeconds = busySeconds
        self.idleSeconds = idleSeconds; self.makespanSeconds = makespanSeconds; self.lowerBoundSeconds = lowerBoundSeconds
        self.efficiency = efficiency; self.flops = flops; self.gflops = gflops; self.verified = verified
    }
}
