/// Every rank's ops for one step (or one job task), in flat arrays (structure of arrays), with no
/// durations: ops of a rank are contiguous and, per stream, in issue order. An op is a unit of
/// scheduling (a forward chain piece, an all-to-all, a gradient sync…); what it does is its
/// segment of ``WorkTable`` items (kernels with shapes, transfers with bytes).
///
/// Each op has at most two dependencies: `dependency` (an earlier op, usually of the same rank)
/// and `remoteDependency` (an op of another rank whose output it receives: a pipeline transfer of
/// `transferBytes`). Communication ops of one collective share a collective index; the
/// collective starts when its last member arrives.
public struct RankProgram: Sendable {
    /// Op → rank.
    public var rank: [Int32] = []
    /// Op → 0 (compute stream) or 1 (communication stream).
    public var stream: [UInt8] = []
    /// Op → ``OperationKind`` raw value.
    public var kind: [UInt8] = []
    /// Op → micro-batch (−1 for step-level ops).
    public var microBatch: [Int32] = []
    /// Op → model chunk of the rank (−1 for step-level ops).
    public var chunk: [Int8] = []
    /// Op → its work (segment of `work`), or −1 (an empty op that only orders others).
    public var segment: [Int32] = []
    /// Op → op it waits for, or −1.
    public var dependency: [Int32] = []
    /// Op → op of another rank (or stage) it receives from, or −1.
    public var remoteDependency: [Int32] = []
    /// Op → bytes received from `remoteDependency` (a pipeline transfer; 0 when none).
    public var transferBytes: [Float] = []
    /// Op → collective, or −1.
    public var collective: [Int32] = []
    /// Op → rank to wake when the op finishes (the rank receiving its output), or −1.
    public var wakes: [Int32] = []
    /// Op → next member op of the same collective (linked list), or −1.
    public var nextMember: [Int32] = []
    /// Rank → first op; `rankStart[ranks]` = op count.
    public var rankStart: [Int] = []
    /// Collective → member count.
    public var collectiveMembers: [Int32] = []
    /// Collective → first member op.
    public var collectiveHead: [Int32] = []
    /// The work of the ops.
    public var work = WorkTable()
    /// Routings of the all-to-alls (``WorkItem/route``).
    public var routes: [Route] = []
    /// How many times the ops run in one step: 1 for a training step; a job's MoE task lowers one
    /// micro-batch and runs it once per micro-batch.
    public var loopCount = 1

    /// Number of ops.
    public var count: Int { kind.count }
    /// Number of ranks.
    public var ranks: Int { max(0, rankStart.count - 1) }

    public init() {}

    /// Appends an op and returns its index.
    @inline(__always)
    public mutating func append(rank: Int, kind: OperationKind, microBatch: Int, chunk: Int = -1, segment: Int32,
                                dependency: Int32, collective: Int32 = -1) -> Int32 {
        let index = Int32(self.kind.count)
        self.rank.append(Int32(rank))
        stream.append(kind.isCommunication ? 1 : 0)
        self.kind.append(kind.rawValue)
        self.microBatch.append(Int32(microBatch))
        self.chunk.append(Int8(clamping: chunk))
        self.segment.append(segment)
        self.dependency.append(dependency)
        remoteDependency.append(-1)
        transferBytes.append(0)
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

    /// Makes `op` receive `bytes` from `source` (on another rank, or an earlier stage of the same).
    public mutating func receive(op: Int32, from source: Int32, bytes: Double) {
        remoteDependency[Int(op)] = source
        transferBytes[Int(op)] = Float(bytes)
        if rank[Int(source)] != rank[Int(op)] { wakes[Int(source)] = rank[Int(op)] }
    }

    /// Creates a collective of `members` ops.
    public mutating func addCollective(members: Int) -> Int32 {
        collectiveMembers.append(Int32(members))
        collectiveHead.append(-1)
        return Int32(collectiveMembers.count - 1)
    }

    /// Reserves room for `ops` ops.
    public mutating func reserve(ops: Int) {
        rank.reserveCapacity(ops); stream.reserveCapacity(ops); kind.reserveCapacity(ops)
        microBatch.reserveCapacity(ops); chunk.reserveCapacity(ops); segment.reserveCapacity(ops)
        dependency.reserveCapacity(ops); remoteDependency.reserveCapacity(ops); transferBytes.reserveCapacity(ops)
        collective.reserveCapacity(ops); wakes.reserveCapacity(ops); nextMember.reserveCapacity(ops)
    }

    /// The ops of `rank`.
    public func ops(of rank: Int) -> Range<Int> { rankStart[rank]..<rankStart[rank + 1] }

    /// The ranks of `collective`'s members, in rank order.
    public func members(of collective: Int32) -> [Int] {
        var result: [Int] = []
        var member = collectiveHead[Int(collective)]
        while member >= 0 {
            result.append(Int(rank[Int(member)]))
            member = nextMember[Int(member)]
        }
        return result.sorted()
    }

    /// The layer of `op`: that of its first work item, or −1.
    public func layer(of op: Int) -> Int {
        Int(work.items(of: segment[op]).first?.layer ?? -1)
    }
}
