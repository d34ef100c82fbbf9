import Program

/// The scratch state of one ``EventSimulator`` evaluation, in raw buffers: the work-list loop
/// touches nothing else. Owned by the evaluation, which calls ``deallocate()`` when done.
struct EventState {
    let ranks: Int
    /// Per op: whether it reached its collective held by a remote dependency.
    let arrivalRemote: UnsafeMutablePointer<Bool>
    /// Per collective: members still to arrive, latest arrival, start.
    let remaining: UnsafeMutablePointer<Int32>
    let arrival: UnsafeMutablePointer<Double>
    let collectiveStart: UnsafeMutablePointer<Double>
    /// Per rank and stream (2·rank + stream): next op to run, when the stream is free.
    let cursor: UnsafeMutablePointer<Int>
    let free: UnsafeMutablePointer<Double>
    /// Per rank: when its last compute op finished; whether it is on the work list.
    let lastCompute: UnsafeMutablePointer<Double>
    let queued: UnsafeMutablePointer<Bool>
    /// The work list of ranks (a stack) and its length.
    let work: UnsafeMutablePointer<Int32>
    var workCount: Int
    /// Rank → first op; `rankStart[ranks]` = op count.
    let rankStart: UnsafeMutablePointer<Int>
    /// Accumulated seconds per rank (`rank · Sum.count + slot`, slots by ``Sum``): summed per
    /// rank in its own op order, then over ranks in rank order, so the totals do not depend on
    /// the order the work list visits ranks (or on how ranks are spread over processes).
    let sums: UnsafeMutablePointer<Double>
    /// Stand-ins of other processes' collective members that arrive at the next ``run(_:start:finish:)``.
    var standInArrivals: [(op: Int, time: Double)] = []

    /// Slots of `sums`: compute, optimizer, bubble, imbalance wait, then exposed communication by
    /// ``OperationKind`` raw value, then pipeline transfers.
    enum Sum {
        static let compute = 0, optimizer = 1, bubble = 2, imbalance = 3, exposedBase = 4
        static let transfer = exposedBase + OperationKind.allCases.count
        static let count = transfer + 1
    }

    init(program: RankProgram) {
        let count = program.count
        ranks = program.rankStart.count - 1
        let collectives = program.collectiveMembers.count
        arrivalRemote = .allocate(capacity: max(1, count))
        arrivalRemote.initialize(repeating: false, count: count)
        remaining = .allocate(capacity: max(1, collectives))
        arrival = .allocate(capacity: max(1, collectives))
        collectiveStart = .allocate(capacity: max(1, collectives))
        for c in 0..<collectives { remaining[c] = program.collectiveMembers[c] }
        arrival.initialize(repeating: 0, count: collectives)
        collectiveStart.initialize(repeating: 0, count: collectives)
        cursor = .allocate(capacity: 2 * ranks)
        free = .allocate(capacity: 2 * ranks)
        free.initialize(repeating: 0, count: 2 * ranks)
        lastCompute = .allocate(capacity: ranks)
        lastCompute.initialize(repeating: 0, count: ranks)
        queued = .allocate(capacity: ranks)
        queued.initialize(repeating: true, count: ranks)
        work = .allocate(capacity: ranks)
        workCount = ranks
        for rank in 0..<ranks { work[rank] = Int32(ranks - 1 - rank) }
        rankStart = .allocate(capacity: ranks + 1)
        for rank in 0...ranks { rankStart[rank] = program.rankStart[rank] }
        for rank in 0..<ranks { cursor[2 * rank] = rankStart[rank]; cursor[2 * rank + 1] = rankStart[rank] }
        sums = .allocate(capacity: max(1, ranks) * Sum.count)
        sums.initialize(repeating: 0, count: max(1, ranks) * Sum.count)
    }

    func deallocate() {
        arrivalRemote.deallocate(); remaining.deallocate(); arrival.deallocate(); collectiveStart.deallocate()
        cursor.deallocate(); free.deallocate(); lastCompute.deallocate(); queued.deallocate(); work.deallocate()
        rankStart.deallocate(); sums.deallocate()
    }

    /// Puts `rank` on the work list unless it is there already.
    @inline(__always)
    mutating func wake(_ rank: Int) {
        guard !queued[rank] else { return }
        queued[rank] = true
        work[workCount] = Int32(rank)
        workCount += 1
    }

    /// Throws when a rank's streams stopped before their last op (a dependency never finished).
    func checkAllRan(_ program: RankProgram) throws(SimulationError) {
        for rank in 0..<ranks where cursor[2 * rank] < rankStart[rank + 1] || cursor[2 * rank + 1] < rankStart[rank + 1] {
            throw SimulationError("the schedule deadlocked: rank \(rank) cannot proceed (op \(min(cursor[2 * rank], cursor[2 * rank + 1])))")
        }
    }
}
