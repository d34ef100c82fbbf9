import Foundation
import Reports
import Simulator
import Testing

/// Predicted against measured train steps: medians over the steps, errors and targets.
@Suite struct TrainStepComparisonTests {
    static func record(rank: Int, step: Int, wall: Double, kinds: [String: Double], task: String = "t") -> TrainStepRecord {
        TrainStepRecord(job: "j", task: task, taskIndex: 0, rank: rank, ranks: 2, host: "h", step: step, stage: 0, column: rank,
                        pp: 1, dp: 2, ep: 2, zero: 1, schedule: "1f1b", microBatches: 2, loss: 5 - Double(step) * 0.1,
                        referenceLoss: nil, tokensPerSecond: 1000, computeSeconds: 0, commSeconds: 0, wallSeconds: wall,
                        secondsByKind: kinds, ops: 10, verified: true, maxRelError: 0, tolerance: 1e-4)
    }

    /// Rank 0 over three steps: F 1.0, 1.2, 1.1 (median 1.1); dispatch only in two steps
    /// (0.1, 0.3 and a missing 0: median 0.1); wall 1.5, 1.6, 1.4 (median 1.5).
    @Test func rowsAreMediansWithErrorsAndTargets() throws {
        let measured = [Self.record(rank: 0, step: 0, wall: 1.5, kinds: ["F": 1.0, "dispatch": 0.1]),
                        Self.record(rank: 0, step: 1, wall: 1.6, kinds: ["F": 1.2, "dispatch": 0.3]),
                        Self.record(rank: 0, step: 2, wall: 1.4, kinds: ["F": 1.1]),
                        Self.record(rank: 0, step: 0, wall: 9, kinds: ["F": 9], task: "other")]
        let prediction = TrainStepPrediction(secondsByKind: [["F": 1.0, "B": 0.01, "dispatch": 0.2]], stepSeconds: [1.4])
        let comparison = TrainStepComparison(task: "t", prediction: prediction, measured: measured)
        #expect(comparison.steps == 3)
        #expect(comparison.rows.map(\.kind) == ["F", "B", "dispatch", "step"])
        let f = comparison.rows[0], b = comparison.rows[1], dispatch = comparison.rows[2], step = comparison.rows[3]
        #expect(abs(f.measuredSeconds - 1.1) < 1e-12 && f.predictedSeconds == 1.0)
        #expect(abs(f.share - 1.1 / 1.5) < 1e-12)
        #expect(abs((f.error ?? 0) - (1.0 - 1.1) / 1.1) < 1e-12)
        #expect(f.meetsTarget == true)                       // −9 % within ±20 %
        #expect(b.measuredSeconds == 0 && b.error == nil && b.target == nil)
        #expect(abs(dispatch.measuredSeconds - 0.1) < 1e-12)
        #expect(dispatch.target == 0.2 && dispatch.meetsTarget == false)   // +100 %, 6.7 % of the step
        #expect(abs(step.measuredSeconds - 1.5) < 1e-12 && step.predictedSeconds == 1.4)
        #expect(step.target == 0.1 && step.meetsTarget == true)            // −6.7 %
        let table = comparison.table(clusterFile: "local.toml")
        #expect(table.contains("train task 't'") && table.contains("MISS") && table.contains("median of 3 steps"))
        let records = comparison.predictionRecords
        #expect(records.map { $0.kind ?? "" } == ["train F", "train B", "train dispatch", "train step"])
        #expect(records.allSatisfy { $0.rank == 0 && $0.task == "t" })
    }
}
