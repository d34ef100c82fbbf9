/// Runs a ``StepProgram``: every rank has a compute and a communication stream that each run
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

    public init(program: StepProgram) throws(SimulationError) {
        let count = program.count
        let ranks = program.rankStart.count - 1
        var start = [Double](repeating: -1, count: count)
        var finish = [Double](repeating: -1, count: count)
        var arrivalRemote = [Bool](repeating: false, count: count)
        let collectives = program.collectiveMembers.count
        var remaining = program.collectiveMembers
        var arrival = [Double](repeating: 0, count: collectives)
        var collectiveStart = [Double](repeating: 0, count: collectives)
        var cursor = [Int](repeating: 0, count: 2 * ranks)
        var free = [Double](repeating: 0, count: 2 * ranks)
        var lastCompute = [Double](repeating: 0, count: ranks)
        var queued = [Bool](repeating: true, count: ranks)
        var work: [Int32] = (0..<Int32(ranks)).reversed()
        var exposed = [Double](repeating: 0, count: OperationKind.allCases.count + 1)  // last slot: pipeline transfer
        let transferSlot = OperationKind.allCases.count
        var compute = 0.0, optimizer = 0.0, bubble = 0.0, imbalance = 0.0
        for rank in 0..<ranks {
            cursor[2 * rank] = program.rankStart[rank]
            cursor[2 * rank + 1] = program.rankStart[rank]
        }

        program.stream.withUnsafeBufferPointer { stream in
        program.dependency.withUnsafeBufferPointer { dependency in
        program.remoteDependency.withUnsafeBufferPointer { remote in
        program.remoteDelay.withUnsafeBufferPointer { delay in
        program.collective.withUnsafeBufferPointer { collective in
        program.duration.withUnsafeBufferPointer { duration in
        program.wakes.withUnsafeBufferPointer { wakes in
        program.kind.withUnsafeBufferPointer { kind in
        start.withUnsafeMutableBufferPointer { start in
        finish.withUnsafeMutableBufferPointer { finish in
            /// Splits an idle gap [from, to) on the compute stream by what held it.
            func attribute(from: Double, to: Double, reason: Int, holder: Int) {
                let gap = to - from
                if reason == 2 {
                    let transfer = min(gap, Double(delay[holder == -1 ? 0 : holder]))
                    exposed[transferSlot] += transfer
                    bubble += gap - transfer
                    return
                }
                let d = holder
                let c = Int(collective[d])
                let commKind = Int(kind[d])
                guard c >= 0 else { exposed[commKind] += gap; return }
                let arrived = start[d], began = collectiveStart[c], ended = finish[d]
                func overlap(_ a: Double, _ b: Double) -> Double { max(0, min(to, b) - max(from, a)) }
                let before = overlap(-.infinity, arrived)
                if arrivalRemote[d] { bubble += before } else { exposed[commKind] += before }
                imbalance += overlap(arrived, began)
                exposed[commKind] += overlap(began, ended)
            }

            while let popped = work.popLast() {
                let rank = Int(popped)
                queued[rank] = false
                let end = program.rankStart[rank + 1]
                var progressed = true
                while progressed {
                    progressed = false
                    for lane in 0..<2 {
                        var i = cursor[2 * rank + lane]
                        while true {
                            while i < end && Int(stream[i]) != lane { i += 1 }
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
                                        var member = Int(program.collectiveHead[c])
                                        while member >= 0 {
                                            finish[member] = done
                                            let memberRank = Int(program.rank[member])
                                            if memberRank != rank && !queued[memberRank] {
                                                queued[memberRank] = true
                                                work.append(Int32(memberRank))
                                            }
                                            member = Int(program.nextMember[member])
                                        }
                                    }
                                }
                                if finish[i] < 0 { break }
                            } else {
                                start[i] = ready
                                finish[i] = ready + duration[i]
                                if lane == 0 {
                                    let before = free[2 * rank]
                                    if ready > before { attribute(from: before, to: ready, reason: reason, holder: holder) }
                                    if kind[i] == OperationKind.optimizer.rawValue { optimizer += duration[i] } else { compute += duration[i] }
                                    lastCompute[rank] = finish[i]
                                }
                            }
                            free[2 * rank + lane] = finish[i]
                            let woken = Int(wakes[i])
                            if woken >= 0 && !queued[woken] {
                                queued[woken] = true
                                work.append(Int32(woken))
                            }
                            i += 1
                            progressed = true
                        }
                        cursor[2 * rank + lane] = i
                    }
                }
            }
        }}}}}}}}}}

        for rank in 0..<ranks where cursor[2 * rank] < program.rankStart[rank + 1] || cursor[2 * rank + 1] < program.rankStart[rank + 1] {
            throw SimulationError("the schedule deadlocked: rank \(rank) cannot proceed (op \(min(cursor[2 * rank], cursor[2 * rank + 1])))")
        }
        // Collective members' start is the collective's start.
        for op in 0..<count where program.collective[op] >= 0 { start[op] = collectiveStart[Int(program.collective[op])] }
        var rankEnd = [Double](repeating: 0, count: ranks)
        var lastCommKind = [Int](repeating: -1, count: ranks)
        for rank in 0..<ranks {
            for op in program.rankStart[rank]..<program.rankStart[rank + 1] {
                rankEnd[rank] = max(rankEnd[rank], finish[op])
                if program.stream[op] == 1 { lastCommKind[rank] = Int(program.kind[op]) }
            }
        }
        let step = rankEnd.max() ?? 0
        for rank in 0..<ranks {
            let tail = rankEnd[rank] - lastCompute[rank]
            if tail > 0 && lastCommKind[rank] >= 0 { exposed[lastCommKind[rank]] += tail }
            bubble += step - max(rankEnd[rank], lastCompute[rank])
        }
        let scale = 1 / Double(max(1, ranks))
        var breakdown = StepBreakdown()
        breakdown.computeSeconds = compute * scale
        breakdown.optimizerSeconds = optimizer * scale
        breakdown.bubbleSeconds = bubble * scale
        breakdown.imbalanceWaitSeconds = imbalance * scale
        let names: [OperationKind: String] = [.dispatch: "allToAllDispatch", .dispatchBackward: "allToAllDispatch",
                                              .combine: "allToAllCombine", .combineBackward: "allToAllCombine",
                                              .gradientSync: "gradientSync", .parameterGather: "parameterGather"]
        for kind in OperationKind.allCases where exposed[Int(kind.rawValue)] > 0 {
            breakdown.exposedCommunicationSeconds[names[kind] ?? kind.label, default: 0] += exposed[Int(kind.rawValue)] * scale
        }
        if exposed[transferSlot] > 0 { breakdown.exposedCommunicationSeconds["pipelineTransfer"] = exposed[transferSlot] * scale }
        self.start = start
        self.finish = finish
        self.stepSeconds = step
        self.breakdown = breakdown
        self.rankEndSeconds = rankEnd
    }
}
