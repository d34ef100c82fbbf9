import Program

/// The program's per-op arrays as buffers, for the work-list loop (unchecked in release builds).
struct EventOps {
    let stream: UnsafeBufferPointer<UInt8>, kind: UnsafeBufferPointer<UInt8>, rank: UnsafeBufferPointer<Int32>
    let dependency: UnsafeBufferPointer<Int32>, remote: UnsafeBufferPointer<Int32>, delay: UnsafeBufferPointer<Float>
    let collective: UnsafeBufferPointer<Int32>, duration: UnsafeBufferPointer<Double>, wakes: UnsafeBufferPointer<Int32>
    let nextMember: UnsafeBufferPointer<Int32>, collectiveHead: UnsafeBufferPointer<Int32>
    let start: UnsafeMutableBufferPointer<Double>, finish: UnsafeMutableBufferPointer<Double>
}

extension EventState {
    /// Runs the work list until no rank can advance, filling `start` (collective members: their
    /// arrival) and `finish`.
    mutating func run(_ costed: CostedProgram, start: inout [Double], finish: inout [Double]) {
        let program = costed.program
        guard program.count > 0 else { return }
        program.stream.withUnsafeBufferPointer { stream in
        program.kind.withUnsafeBufferPointer { kind in
        program.rank.withUnsafeBufferPointer { rank in
        program.dependency.withUnsafeBufferPointer { dependency in
        program.remoteDependency.withUnsafeBufferPointer { remote in
        costed.remoteDelay.withUnsafeBufferPointer { delay in
        program.collective.withUnsafeBufferPointer { collective in
        costed.duration.withUnsafeBufferPointer { duration in
        program.wakes.withUnsafeBufferPointer { wakes in
        program.nextMember.withUnsafeBufferPointer { nextMember in
        program.collectiveHead.withUnsafeBufferPointer { head in
        start.withUnsafeMutableBufferPointer { start in
        finish.withUnsafeMutableBufferPointer { finish in
            let ops = EventOps(stream: stream, kind: kind, rank: rank, dependency: dependency, remote: remote, delay: delay,
                               collective: collective, duration: duration, wakes: wakes, nextMember: nextMember,
                               collectiveHead: head, start: start, finish: finish)
            for (op, time) in standInArrivals {
                arrive(op: op, collective: Int(ops.collective[op]), at: time, remote: false, rank: -1, ops)
            }
            standInArrivals = []
            while workCount > 0 {
                workCount -= 1
                let rank = Int(work[workCount])
                queued[rank] = false
                advance(rank: rank, ops)
            }
        }}}}}}}}}}}}}
    }

    /// Runs `rank`'s two streams as far as their dependencies allow, waking the ranks that wait on
    /// what it finished.
    @inline(__always)
    mutating func advance(rank: Int, _ ops: EventOps) {
        let end = rankStart[rank + 1]
        var progressed = true
        while progressed {
            progressed = false
            for lane in 0..<2 {
                var i = cursor[2 * rank + lane]
                let laneValue = UInt8(lane)
                while true {
                    while i < end && ops.stream[i] != laneValue { i += 1 }
                    if i >= end { break }
                    // When the op may start, and what held it: 0 its stream, 1 `dependency`, 2 the transfer.
                    var ready = free[2 * rank + lane]
                    var reason = 0
                    var holder = -1
                    let d0 = Int(ops.dependency[i])
                    if d0 >= 0 {
                        let f = ops.finish[d0]
                        if f < 0 { break }
                        if f > ready { ready = f; reason = 1; holder = d0 }
                    }
                    let d1 = Int(ops.remote[i])
                    if d1 >= 0 {
                        let f = ops.finish[d1]
                        if f < 0 { break }
                        let t = f + Double(ops.delay[i])
                        if t > ready { ready = t; reason = 2; holder = i }
                    }
                    let c = Int(ops.collective[i])
                    if c >= 0 {
                        if ops.start[i] < 0 { arrive(op: i, collective: c, at: ready, remote: reason == 2, rank: rank, ops) }
                        if ops.finish[i] < 0 { break }
                    } else {
                        ops.start[i] = ready
                        ops.finish[i] = ready + ops.duration[i]
                        if lane == 0 { accountCompute(op: i, rank: rank, ready: ready, reason: reason, holder: holder, ops) }
                    }
                    free[2 * rank + lane] = ops.finish[i]
                    let woken = Int(ops.wakes[i])
                    if woken >= 0 { wake(woken) }
                    i += 1
                    progressed = true
                }
                cursor[2 * rank + lane] = i
            }
        }
    }

    /// Member `op` of `collective` arrives at `time`; the last to arrive starts the collective,
    /// which finishes every member together and wakes their ranks.
    @inline(__always)
    mutating func arrive(op: Int, collective c: Int, at time: Double, remote: Bool, rank: Int, _ ops: EventOps) {
        ops.start[op] = time
        arrivalRemote[op] = remote
        if time > arrival[c] { arrival[c] = time }
        remaining[c] -= 1
        guard remaining[c] == 0 else { return }
        collectiveStart[c] = arrival[c]
        let done = arrival[c] + ops.duration[op]
        var member = Int(ops.collectiveHead[c])
        while member >= 0 {
            ops.finish[member] = done
            let memberRank = Int(ops.rank[member])
            if memberRank != rank && memberRank >= 0 { wake(memberRank) }
            member = Int(ops.nextMember[member])
        }
    }

    /// Counts compute op `op`'s duration, and attributes the idle gap before it on the compute
    /// stream to what held it (`reason`, `holder`: see ``advance(rank:_:)``).
    @inline(__always)
    func accountCompute(op i: Int, rank: Int, ready: Double, reason: Int, holder: Int, _ ops: EventOps) {
        let from = free[2 * rank]
        let sums = self.sums + rank * Sum.count
        if ready > from {
            let gap = ready - from
            if reason == 2 {
                let transfer = min(gap, Double(ops.delay[holder]))
                sums[Sum.transfer] += transfer
                sums[Sum.bubble] += gap - transfer
            } else {
                let c0 = Int(ops.collective[holder])
                let slot = Sum.exposedBase + Int(ops.kind[holder])
                if c0 < 0 {
                    sums[slot] += gap
                } else {
                    let arrived = ops.start[holder], began = collectiveStart[c0], ended = ops.finish[holder]
                    let before = max(0, min(ready, arrived) - from)
                    if arrivalRemote[holder] { sums[Sum.bubble] += before } else { sums[slot] += before }
                    sums[Sum.imbalance] += max(0, min(ready, began) - max(from, arrived))
                    sums[slot] += max(0, min(ready, ended) - max(from, began))
                }
            }
        }
        if ops.kind[i] == OperationKind.optimizer.rawValue { sums[Sum.optimizer] += ops.duration[i] } else { sums[Sum.compute] += ops.duration[i] }
        lastCompute[rank] = ops.finish[i]
    }
}
