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
    /// The data-parallel replicas folded away (``RankFold``): op ranks are then folded ranks; nil
    /// when every rank is in the program.
    public var fold: RankFold?
    /// Where the program's ranks sit in the real layout; nil: program rank = real rank.
    public var placement: Placement?
    /// Ops of other processes this part waits for (pipeline transfers into its stages): op
    /// `rankStart[ranks] + i` stands for `imports[i]`; it belongs to no rank and finishes when
    /// the other process says so.
    public var imports: [ExternalOp] = []
    /// This part's ops that other processes wait for (pipeline transfers out of its stages).
    public var exports: [ExternalOp] = []
    /// Collectives whose other members run in other processes (data-parallel groups split by
    /// columns): each has one more member here, an op that belongs to no rank and arrives when
    /// every other process's members have (at the latest of their arrivals).
    public var sharedCollectives: [SharedCollective] = []

    /// A block of stages × columns, in stage-major order: one process's part of a distributed
    /// simulation. Columns are the fold's kept columns when folded (``RankFold/realColumn(_:)``),
    /// else real ones (``RankLayout``).
    public struct Placement: Sendable, Equatable {
        public var firstStage: Int, firstColumn: Int
        /// Columns the program holds per stage, and the real layout's.
        public var columns: Int, realColumns: Int

        public init(firstStage: Int, firstColumn: Int, columns: Int, realColumns: Int) {
            self.firstStage = firstStage
            self.firstColumn = firstColumn
            self.columns = columns
            self.realColumns = realColumns
        }
    }

    /// A collective shared with other processes: its name on every process, and the stand-in op
    /// of the other processes' members.
    public struct SharedCollective: Sendable, Equatable {
        public var key: Int64
        public var collective: Int32
        public var standIn: Int32

        public init(key: Int64, collective: Int32, standIn: Int32) {
            self.key = key
            self.collective = collective
            self.standIn = standIn
        }
    }

    /// A pipeline transfer between the parts of a distributed simulation.
    public struct ExternalOp: Sendable, Equatable {
        /// The transfer's name on both sides: the producing chain's slot and direction.
        public var key: Int64
        /// The op here: the export's producer, or the import's stand-in.
        public var op: Int32
        /// The process at the other end.
        public var process: Int32
        /// The real rank of the producer (imports: to cost the transfer).
        public var producerRank: Int32

        public init(key: Int64, op: Int32, process: Int32, producerRank: Int32) {
            self.key = key
            self.op = op
            self.process = process
            self.producerRank = producerRank
        }
    }

    /// The index of this program's rank `rank` in the whole program's numbering (stage-major over
    /// the columns it keeps): where its rows go when the parts of a distributed simulation meet.
    public func wholeProgramRank(_ rank: Int) -> Int {
        guard let p = placement else { return rank }
        return (p.firstStage + rank / p.columns) * (fold?.keptColumns ?? p.realColumns) + p.firstColumn + rank % p.columns
    }

    /// Real ranks the whole program's rank `rank` stands for (1 unless folded).
    public func weight(ofWholeProgramRank rank: Int) -> Int {
        guard let fold else { return 1 }
        return fold.weight(ofKeptColumn: rank % fold.keptColumns)
    }

    /// The real rank (``RankLayout``) of this program's rank `rank`.
    @inline(__always)
    public func realRank(_ rank: Int) -> Int {
        guard let p = placement else { return rank }
        let column = p.firstColumn + rank % p.columns
        return (p.firstStage + rank / p.columns) * p.realColumns + (fold?.realColumn(column) ?? column)
    }

    /// Number of ops.
    public var count: Int { kind.count }
    /// Number of ranks.
    public var ranks: Int { max(0, rankStart.count - 1) }

    public init() {}

    /// Appends an op and returns its index.
    @inline(__always)
    public mutating func append(rank: Int, kind: OperationKind, microBatch: Int, chunk: Int = -1, segment: Int32,
                                dependency: Int32, collective: Int32 = -1) -> Int32 {
        append(Op(rank: rank, kind: kind, microBatch: microBatch, chunk: chunk, segment: segment,
                  dependency: dependency, collective: collective))
    }

    /// Appends `op` and returns its index.
    @inline(__always)
    public mutating func append(_ op: Op) -> Int32 {
        let index = Int32(kind.count)
        rank.append(op.rank)
        stream.append(op.stream)
        kind.append(op.kind)
        microBatch.append(op.microBatch)
        chunk.append(op.chunk)
        segment.append(op.segment)
        dependency.append(op.dependency)
        remoteDependency.append(-1)
        transferBytes.append(0)
        collective.append(op.collective)
        wakes.append(-1)
        if op.collective >= 0 {
            nextMember.append(collectiveHead[Int(op.collective)])
            collectiveHead[Int(op.collective)] = index
        } else {
            nextMember.append(-1)
        }
        return index
    }

    /// One op's own fields (its remote dependency, transfer and wake are set by ``receive(op:from:bytes:)``).
    public struct Op: Sendable {
        public var rank: Int32, microBatch: Int32, segment: Int32, dependency: Int32, collective: Int32
        public var kind: UInt8, stream: UInt8, chunk: Int8

        /// An op of `rank` doing `kind` (its stream follows from the kind).
        @inline(__always)
        public init(rank: Int, kind: OperationKind, microBatch: Int, chunk: Int = -1, segment: Int32, dependency: Int32,
                    collective: Int32 = -1) {
            self.rank = Int32(rank); self.kind = kind.rawValue; stream = kind.isCommunication ? 1 : 0; self.microBatch = Int32(microBatch)
            self.chunk = Int8(clamping: chunk); self.segment = segment; self.dependency = dependency; self.collective = collective
        }
    }

    /// Appends `ops` in order (op `j` gets index `count + j`), as many single appends would, but a
    /// column at a time: the fast path for lowering millions of ops.
    public mutating func append(contentsOf ops: [Op]) {
        let first = count, n = ops.count
        ops.withUnsafeBufferPointer { ops in
            rank.append(contentsOf: Self.column(ops) { $0.rank })
            stream.append(contentsOf: Self.column(ops) { $0.stream })
            kind.append(contentsOf: Self.column(ops) { $0.kind })
            microBatch.append(contentsOf: Self.column(ops) { $0.microBatch })
            chunk.append(contentsOf: Self.column(ops) { $0.chunk })
            segment.append(contentsOf: Self.column(ops) { $0.segment })
            dependency.append(contentsOf: Self.column(ops) { $0.dependency })
            collective.append(contentsOf: Self.column(ops) { $0.collective })
        }
        remoteDependency.append(contentsOf: [Int32](repeating: -1, count: n))
        transferBytes.append(contentsOf: [Float](repeating: 0, count: n))
        wakes.append(contentsOf: [Int32](repeating: -1, count: n))
        // Link collective members as single appends would: each new member heads its list.
        var next = [Int32](repeating: -1, count: n)
        for j in 0..<n where ops[j].collective >= 0 {
            let c = Int(ops[j].collective)
            next[j] = collectiveHead[c]
            collectiveHead[c] = Int32(first + j)
        }
        nextMember.append(contentsOf: next)
    }

    /// One field of every op in `ops`, as an array.
    @inline(__always)
    private static func column<T>(_ ops: UnsafeBufferPointer<Op>, _ field: (Op) -> T) -> [T] {
        [T](unsafeUninitializedCapacity: ops.count) { buffer, initialized in
            for j in 0..<ops.count { buffer.initializeElement(at: j, to: field(ops[j])) }
            initialized = ops.count
        }
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
