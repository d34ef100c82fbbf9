/// Every rank's ops for one training step, in flat arrays (structure of arrays): ops of a rank are
/// contiguous and, per stream, in issue order. Each op has at most two dependencies: `dependency`
/// (an earlier op, usually of the same rank) and `remoteDependency` (an op of another pipeline
/// stage, plus a transfer delay). Communication ops that belong to one collective share a
/// collective index; the collective starts when its last member arrives.
public struct StepProgram: Sendable {
    /// Op → rank.
    public var rank: [Int32] = []
    /// Op → 0 (compute stream) or 1 (communication stream).
    public var stream: [UInt8] = []
    /// Op → ``OperationKind`` raw value.
    public var kind: [UInt8] = []
    /// Op → micro-batch (−1 for step-level ops).
    public var microBatch: [Int32] = []
    /// Op → duration in seconds (collective members: the collective's duration).
    public var duration: [Double] = []
    /// Op → op it waits for, or −1.
    public var dependency: [Int32] = []
    /// Op → op of another stage it waits for, or −1.
    public var remoteDependency: [Int32] = []
    /// Op → seconds added after `remoteDependency` finishes (point-to-point transfer).
    public var remoteDelay: [Float] = []
    /// Op → collective, or −1.
    public var collective: [Int32] = []
    /// Op → rank to wake when the op finishes (a remote dependant), or −1.
    public var wakes: [Int32] = []
    /// Op → next member op of the same collective (linked list), or −1.
    public var nextMember: [Int32] = []
    /// Rank → first op; `rankStart[ranks]` = op count.
    public var rankStart: [Int] = []
    /// Collective → member count.
    public var collectiveMembers: [Int32] = []
    /// Collective → first member op.
    public var collectiveHead: [Int32] = []

    /// Number of ops.
    public var count: Int { duration.count }

    public init() {}

    /// Appends an op and returns its index.
    @inline(__always)
    mutating func append(rank: Int, kind: OperationKind, microBatch: Int, duration: Double,
                         dependency: Int32, remoteDependency: Int32 = -1, remoteDelay: Float = 0, collective: Int32 = -1) -> Int32 {
        let index = Int32(self.duration.count)
        self.rank.append(Int32(rank))
        stream.append(kind.isCommunication ? 1 : 0)
        self.kind.append(kind.rawValue)
        self.microBatch.append(Int32(microBatch))
        self.duration.append(duration)
        self.dependency.append(dependency)
        self.remoteDependency.append(remoteDependency)
        self.remoteDelay.append(remoteDelay)
        self.collective.append(collective)
        wakes.append(-1)
        if collective >= 0 {
            nextMember.append(collectiveHead[Int(collective)])
            collectiveHead[Int(collective)] = index
        } else {
            nextMember.append(-1)
        }
        return index
    }

    /// Creates a collective of `members` ops.
    mutating func addCollective(members: Int) -> Int32 {
        collectiveMembers.append(Int32(members))
        collectiveHead.append(-1)
        return Int32(collectiveMembers.count - 1)
    }

    mutating func reserve(ops: Int) {
        rank.reserveCapacity(ops); stream.reserveCapacity(ops); kind.reserveCapacity(ops)
        microBatch.reserveCapacity(ops); duration.reserveCapacity(ops); dependency.reserveCapacity(ops)
        remoteDependency.reserveCapacity(ops); remoteDelay.reserveCapacity(ops); collective.reserveCapacity(ops)
        wakes.reserveCapacity(ops); nextMember.reserveCapacity(ops)
    }
}
