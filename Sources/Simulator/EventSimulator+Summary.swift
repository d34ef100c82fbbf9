import Program

extension EventState {
    /// The step's totals once every op ran: each rank's end, the step (the latest rank end) and the
    /// breakdown averaged over ranks.
    struct Summary {
        var rankEnd: [Double]
        var stepSeconds: Double
        var breakdown: StepBreakdown
    }

    /// Totals of the finished evaluation of `program`: a rank's communication still running after
    /// its last compute op is exposed (under the kind of its last communication op), and the time
    /// from a rank's end to the step's end is bubble.
    func summary(_ program: RankProgram) -> Summary {
        var bubble = sums[Sum.bubble]
        var exposed = (Sum.exposedBase...Sum.transfer).map { sums[$0] }
        // Streams run in order, so a rank ends when the later of its two streams' last ops ends.
        var rankEnd = [Double](repeating: 0, count: ranks)
        var lastCommKind = [Int](repeating: -1, count: ranks)
        for rank in 0..<ranks {
            rankEnd[rank] = max(free[2 * rank], free[2 * rank + 1])
            var op = program.rankStart[rank + 1] - 1
            while op >= program.rankStart[rank] && program.stream[op] != 1 { op -= 1 }
            if op >= program.rankStart[rank] { lastCommKind[rank] = Int(program.kind[op]) }
        }
        let step = rankEnd.max() ?? 0
        for rank in 0..<ranks {
            let tail = rankEnd[rank] - lastCompute[rank]
            if tail > 0 && lastCommKind[rank] >= 0 { exposed[lastCommKind[rank]] += tail }
            bubble += step - max(rankEnd[rank], lastCompute[rank])
        }
        let scale = 1 / Double(max(1, ranks))
        var breakdown = StepBreakdown()
        breakdown.computeSeconds = sums[Sum.compute] * scale
        breakdown.optimizerSeconds = sums[Sum.optimizer] * scale
        breakdown.bubbleSeconds = bubble * scale
        breakdown.imbalanceWaitSeconds = sums[Sum.imbalance] * scale
        breakdown.exposedCommunicationSeconds = Self.exposedCommunication(exposed, scale: scale)
        return Summary(rankEnd: rankEnd, stepSeconds: step, breakdown: breakdown)
    }

    /// Exposed communication seconds by part, from totals indexed by ``OperationKind`` raw value
    /// (then pipeline transfers), times `scale`.
    static func exposedCommunication(_ exposed: [Double], scale: Double) -> [CommunicationPart: Double] {
        var result: [CommunicationPart: Double] = [:]
        for kind in OperationKind.allCases where exposed[Int(kind.rawValue)] > 0 {
            guard let part = CommunicationPart(kind) else { continue }
            result[part, default: 0] += exposed[Int(kind.rawValue)] * scale
        }
        let transfer = Sum.transfer - Sum.exposedBase
        if exposed[transfer] > 0 { result[.pipelineTransfer] = exposed[transfer] * scale }
        return result
    }
}
