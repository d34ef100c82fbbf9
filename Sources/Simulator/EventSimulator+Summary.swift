import Program

extension EventState {
    /// The step's totals once every op ran: each rank's end, the step (the latest rank end) and the
    /// breakdown averaged over ranks.
    struct Summary {
        var rankEnd: [Double]
        var stepSeconds: Double
        var breakdown: StepBreakdown
    }

    /// Totals of the finished evaluation of `program` on one process: the step is the latest
    /// rank end, and the breakdown the ranks' rows (``rankRows(_:stepSeconds:)``) averaged.
    func summary(_ program: RankProgram) -> Summary {
        let rankEnd = rankEnds()
        let step = rankEnd.max() ?? 0
        let rows = rankRows(program, stepSeconds: step)
        let weights = (0..<ranks).map { program.weight(ofWholeProgramRank: program.wholeProgramRank($0)) }
        return Summary(rankEnd: rankEnd, stepSeconds: step, breakdown: Self.breakdown(rows: rows, weights: weights))
    }

    /// Per rank: when it ended (streams run in order, so the later of its two streams' last ops).
    func rankEnds() -> [Double] {
        (0..<ranks).map { max(free[2 * $0], free[2 * $0 + 1]) }
    }

    /// Each rank's seconds by ``Sum`` slot (`rank · Sum.count + slot`), given when the step
    /// ended: what its compute stream summed, its communication still running after its last
    /// compute op (exposed, under the kind of its last communication op), and the time from its
    /// end to the step's end (bubble).
    func rankRows(_ program: RankProgram, stepSeconds step: Double) -> [Double] {
        var rows = Array(UnsafeBufferPointer(start: sums, count: ranks * Sum.count))
        for rank in 0..<ranks {
            let end = max(free[2 * rank], free[2 * rank + 1])
            var op = program.rankStart[rank + 1] - 1
            while op >= program.rankStart[rank] && program.stream[op] != 1 { op -= 1 }
            let tail = end - lastCompute[rank]
            if tail > 0 && op >= program.rankStart[rank] { rows[rank * Sum.count + Sum.exposedBase + Int(program.kind[op])] += tail }
            rows[rank * Sum.count + Sum.bubble] += step - max(end, lastCompute[rank])
        }
        return rows
    }

    /// The breakdown of the rows of ranks standing for `weights` real ranks each (summed in rank
    /// order, averaged over the real ranks).
    static func breakdown(rows: [Double], weights: [Int]) -> StepBreakdown {
        var totals = [Double](repeating: 0, count: Sum.count)
        for (rank, weight) in weights.enumerated() {
            for slot in 0..<Sum.count { totals[slot] += weight == 1 ? rows[rank * Sum.count + slot] : Double(weight) * rows[rank * Sum.count + slot] }
        }
        let scale = 1 / Double(max(1, weights.reduce(0, +)))
        var breakdown = StepBreakdown()
        breakdown.computeSeconds = totals[Sum.compute] * scale
        breakdown.optimizerSeconds = totals[Sum.optimizer] * scale
        breakdown.bubbleSeconds = totals[Sum.bubble] * scale
        breakdown.imbalanceWaitSeconds = totals[Sum.imbalance] * scale
        breakdown.exposedCommunicationSeconds = exposedCommunication(Array(totals[Sum.exposedBase...Sum.transfer]), scale: scale)
        return breakdown
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
