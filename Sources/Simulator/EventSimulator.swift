import Program

/// Runs a ``CostedProgram``: every rank has a compute and a communication stream that each run
/// their ops in issue order; an op starts when its stream is free and its dependencies have
/// finished (a remote dependency plus its transfer delay); a collective starts when its last
/// member arrives and ends for all members together.
///
/// The program is a max-plus system with a fixed order per stream, so it is evaluated with a
/// work list of ranks: a rank advances both streams as far as its dependencies allow and wakes
/// the ranks waiting on what it finished. Cost O(ops + collective members). Time spent idle on
/// the compute stream is attributed to the dependency that held it (see ``StepBreakdown``).
public struct EventSimulator: Sendable {
    /// Op start times (for collectives: when the collective started).
    public private(set) var start: [Double]
    /// Op finish times.
    public private(set) var finish: [Double]
    /// Step time: the last op's finish.
    public private(set) var stepSeconds = 0.0
    /// Average over ranks.
    public private(set) var breakdown = StepBreakdown()
    /// Per rank: when its last op finished.
    public private(set) var rankEndSeconds: [Double] = []

    public init(costed: CostedProgram) throws(SimulationError) {
        let program = costed.program
        let count = program.count
        let ranks = program.rankStart.count - 1
        let collectives = program.collectiveMembers.count
        var start = [Double](repeating: -1, count: count)
        var finish = [Double](repeating: -1, count: count)
        // Scratch state in raw buffers: the hot loop below touches nothing else.
        let arrivalRemote = UnsafeMutablePointer<Bool>.allocate(capacity: max(1, count))
        arrivalRemote.initialize(repeating: false, count: count)
        let remaining = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, collectives))
        let arrival = UnsafeMutablePointer<Double>.allocate(capacity: max(1, collectives))
        let collectiveStart = UnsafeMutablePointer<Double>.allocate(capacity: max(1, collectives))
        for c in 0..<collectives { remaining[c] = program.collectiveMembers[c]; arrival[c] = 0; collectiveStart[c] = 0 }
        let cursor = UnsafeMutablePointer<Int>.allocate(capacity: 2 * ranks)
        let free = UnsafeMutablePointer<Double>.allocate(capacity: 2 * ranks)
        free.initialize(repeating: 0, count: 2 * ranks)
        let lastCompute = UnsafeMutablePointer<Double>.allocate(capacity: ranks)
        lastCompute.initialize(repeating: 0, count: ranks)
        let queued = UnsafeMutablePointer<Bool>.allocate(capacity: ranks)
        queued.initialize(repeating: true, count: ranks)
        let work = UnsafeMutablePointer<Int32>.allocate(capacity: ranks)
        var workCount = ranks
        for rank in 0..<ranks { work[rank] = Int32(ranks - 1 - rank) }
        let rankStart = UnsafeMutablePointer<Int>.allocate(capacity: ranks + 1)
        for rank in 0...ranks { rankStart[rank] = program.rankStart[rank] }
        for rank in 0..<ranks { cursor[2 * rank] = rankStart[rank]; cursor[2 * rank + 1] = rankStart[rank] }
        let transferSlot = OperationKind.allCases.count
        // Accumulators: [0] compute, [1] optimizer, [2] bubble, [3] imbalance, [4...] exposed by kind, then transfer.
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: 5 + transferSlot)
        sums.initialize(repeating: 0, count: 5 + transferSlot)
        let exposedBase = 4
        defer {
            arrivalRemote.deallocate(); remaining.deallocate(); arrival.deallocate(); collectiveStart.deallocate()
            cursor.deallocate(); free.deallocate(); lastCompute.deallocate(); queued.deallocate(); work.deallocate()
            rankStart.deallocate(); sums.deallocate()
        }

        program.stream.withUnsafeBufferPointer { streamBuffer in
        program.dependency.withUnsafeBufferPointer { dependencyBuffer in
        program.remoteDependency.withUnsafeBufferPointer { remoteBuffer in
        costed.remoteDelay.withUnsafeBufferPointer { delayBuffer in
        program.collective.withUnsafeBufferPointer { collectiveBuffer in
        costed.duration.withUnsafeBufferPointer { durationBuffer in
        program.wakes.withUnsafeBufferPointer { wakesBuffer in
        program.kind.withUnsafeBufferPointer { kindBuffer in
        program.rank.withUnsafeBufferPointer { rankBuffer in
        program.nextMember.withUnsafeBufferPointer { nextMemberBuffer in
        program.collectiveHead.withUnsafeBufferPointer { headBuffer in
        start.withUnsafeMutableBufferPointer { startBuffer in
        finish.withUnsafeMutableBufferPointer { finishBuffer in
            guard count > 0 else { return }
            let stream = streamBuffer.baseAddress!, dependency = dependencyBuffer.baseAddress!
            let remote = remoteBuffer.baseAddress!, delay = delayBuffer.baseAddress!
            let collective = collectiveBuffer.baseAddress!, duration = durationBuffer.baseAddress!
            let wakes = wakesBuffer.baseAddress!, kind = kindBuffer.baseAddress!, opRank = rankBuffer.baseAddress!
            let nextMember = nextMemberBuffer.baseAddress!, head = headBuffer.baseAddress!
            let start = startBuffer.baseAddress!, finish = finishBuffer.baseAddress!
            let optimizerKind = OperationKind.optimizer.rawValue

            while workCount > 0 {
                workCount -= 1
                let rank = Int(work[workCount])
                queued[rank] = false
                let end = rankStart[rank + 1]
                var progressed = true
                while progressed {
                    progressed = false
                    for lane in 0..<2 {
                        var i = cursor[2 * rank + lane]
                        let laneValue = UInt8(lane)
                        while true {
                            while i < end && stream[i] != laneValue { i += 1 }
                            if i >= end { break }
                            var ready = free[2 * rank + lane]
                            var reason = 0
                            var holder = -1
                            let d0 = Int(dependency[i])
                            if d0 >= 0 {
                                let f = finish[d0]
                                if f < 0 { break }
                                if f > ready { ready = f; reason = 1; holder = d0 }
                            }
                            let d1 = Int(remote[i])
                            if d1 >= 0 {
                                let f = finish[d1]
                                if f < 0 { break }
                                let t = f + Double(delay[i])
                                if t > ready { ready = t; reason = 2; holder = i }
                            }
                            let c = Int(collective[i])
                            if c >= 0 {
                                if start[i] < 0 {
                                    start[i] = ready
                                    arrivalRemote[i] = reason == 2
                                    if ready > arrival[c] { arrival[c] = ready }
                                    remaining[c] -= 1
                                    if remaining[c] == 0 {
                                        collectiveStart[c] = arrival[c]
                                        let done = arrival[c] + duration[i]
                                        var member = Int(head[c])
                                        while member >= 0 {
                                            finish[member] = done
                                            let memberRank = Int(opRank[member])
                                            if memberRank != rank && !queued[memberRank] {
                                                queued[memberRank] = true
                                                work[workCount] = Int32(memberRank)
                                                workCount += 1
                                            }
                                            member = Int(nextMember[member])
                                        }
                                    }
                                }
                                if finish[i] < 0 { break }
                            } else {
                                start[i] = ready
                                finish[i] = ready + duration[i]
                                if lane == 0 {
                                    let from = free[2 * rank]
                                    if ready > from {
                                        // Attribute the idle gap [from, ready) to what held the op.
                                        let gap = ready - from
                                        if reason == 2 {
                                            let transfer = min(gap, Double(delay[holder]))
                                            sums[exposedBase + transferSlot] += transfer
                                            sums[2] += gap - transfer
                                        } else {
                                            let c0 = Int(collective[holder])
                                            let slot = exposedBase + Int(kind[holder])
                                            if c0 < 0 {
                                                sums[slot] += gap
                                            } else {
                                                let arrived = start[holder], began = collectiveStart[c0], ended = finish[holder]
                                                let before = max(0, min(ready, arrived) - from)
                                                if arrivalRemote[holder] { sums[2] += before } else { sums[slot] += before }
                                                sums[3] += max(0, min(ready, began) - max(from, arrived))
                                                sums[slot] += max(0, min(ready, ended) - max(from, began))
                                            }
                                        }
                                    }
                                    if kind[i] == optimizerKind { sums[1] += duration[i] } else { sums[0] += duration[i] }
                                    lastCompute[rank] = finish[i]
                                }
                            }
                            free[2 * rank + lane] = finish[i]
                            let woken = Int(wakes[i])
                            if woken >= 0 && !queued[woken] {
                                queued[woken] = true
                                work[workCount] = Int32(woken)
                                workCount += 1
                            }
                            i += 1
                            progressed = true
                        }
                        cursor[2 * rank + lane] = i
                    }
                }
            }
        }}}}}}}}}}}}}
        let compute = sums[0], optimizer = sums[1], imbalance = sums[3]
        var bubble = sums[2]
        var exposed = (0...transferSlot).map { sums[exposedBase + $0] }
        let lastComputeArray = Array(UnsafeBufferPointer(start: lastCompute, count: ranks))
        let cursorArray = Array(UnsafeBufferPointer(start: cursor, count: 2 * ranks))

        for rank in 0..<ranks where cursorArray[2 * rank] < program.rankStart[rank + 1] || cursorArray[2 * rank + 1] < program.rankStart[rank + 1] {
            throw SimulationError("the schedule deadlocked: rank \(rank) cannot proceed (op \(min(cursorArray[2 * rank], cursorArray[2 * rank + 1])))")
        }
        // Collective members' start is the collective's start.
        for op in 0..<count where program.collective[op] >= 0 { start[op] = collectiveStart[Int(program.collective[op])] }
        // Streams run in order, so a rank ends when the later of its two streams' last ops ends.
        let freeArray = Array(UnsafeBufferPointer(start: free, count: 2 * ranks))
        var rankEnd = [Double](repeating: 0, count: ranks)
        var lastCommKind = [Int](repeating: -1, count: ranks)
        for rank in 0..<ranks {
            rankEnd[rank] = max(freeArray[2 * rank], freeArray[2 * rank + 1])
            var op = program.rankStart[rank + 1] - 1
            while op >= program.rankStart[rank] && program.stream[op] != 1 { op -= 1 }
            if op >= program.rankStart[rank] { lastCommKind[rank] = Int(program.kind[op]) }
        }
        let step = rankEnd.max() ?? 0
        for rank in 0..<ranks {
            let tail = rankEnd[rank] - lastComputeArray[rank]
            if tail > 0 && lastCommKind[rank] >= 0 { exposed[lastCommKind[rank]] += tail }
            bubble += step - max(rankEnd[rank], lastComputeArray[rank])
        }
        let scale = 1 / Double(max(1, ranks))
        var breakdown = StepBreakdown()
        breakdown.computeSeconds = compute * scale
        breakdown.optimizerSeconds = optimizer * scale
        breakdown.bubbleSeconds = bubble * scale
        breakdown.imbalanceWaitSeconds = imbalance * scale
        for kind in OperationKind.allCases where exposed[Int(kind.rawValue)] > 0 {
            guard let part = CommunicationPart(kind) else { continue }
            breakdown.exposedCommunicationSeconds[part, default: 0] += exposed[Int(kind.rawValue)] * scale
        }
        if exposed[transferSlot] > 0 { breakdown.exposedCommunicationSeconds[.pipelineTransfer] = exposed[transferSlot] * scale }
        self.start = start
        self.finish = finish
        self.stepSeconds = step
        self.breakdown = breakdown
        self.rankEndSeconds = rankEnd
    }
}
