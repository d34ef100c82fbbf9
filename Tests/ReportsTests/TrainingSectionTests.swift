import Foundation
@testable import Reports
import Testing

/// The report's training section from hand-made train step records.
@Suite struct TrainingSectionTests {
    static func record(rank: Int, step: Int, loss: Double, wall: Double, kinds: [String: Double]) -> TrainStepRecord {
        TrainStepRecord(job: "j", task: "tiny", taskIndex: 0, rank: rank, ranks: 2, host: "h", step: step, stage: 0, column: rank,
                        pp: 1, dp: 2, ep: 2, zero: 1, schedule: "1f1b", microBatches: 2, loss: loss, referenceLoss: nil,
                        tokensPerSecond: 1000, computeSeconds: 0, commSeconds: 0, wallSeconds: wall, secondsByKind: kinds, ops: 10,
                        verified: true, maxRelError: 0, tolerance: 1e-4)
    }

    static var run: ReportInput.MeasuredRun {
        var records: [TrainStepRecord] = []
        for step in 0..<3 {
            let loss = 6.0 - Double(step)
            records.append(record(rank: 0, step: step, loss: loss, wall: [1.0, 1.2, 1.1][step],
                                  kinds: ["F": [0.4, 0.5, 0.6][step], "B": 0.5, "grad-sync": 0.05]))
            records.append(record(rank: 1, step: step, loss: loss, wall: 1.0, kinds: ["F": 0.3, "pipeline": 0.2, "B": 0.5]))
        }
        return ReportInput.MeasuredRun(point: SweepPoint(id: "run", mode: .measured, repetition: 1), job: nil, tasks: [], moe: [],
                                       training: records)
    }

    /// The loss line is rank 0's loss at each step, in step order.
    @Test func lossIsOneLinePerTaskInStepOrder() {
        var run = Self.run
        run.training.reverse()
        let series = ReportCharts.lossSeries([run])
        #expect(series.count == 1)
        #expect(series[0].name == "tiny (run, 2 ranks)")
        #expect(series[0].points.map(\.x) == [0, 1, 2])
        #expect(series[0].points.map(\.y) == [6, 5, 4])
    }

    /// Measured bars: per kind the median over the steps; other = median of wall − kinds;
    /// predicted bars from the `train …` prediction records of the same task and rank.
    @Test func breakdownIsTheMedianPerKindAndThePredictionBesideIt() throws {
        let predictions = [PredictionRecord(task: "tiny", rank: 0, kind: "train F", predictedSeconds: 0.45, measuredSeconds: 0.5),
                           PredictionRecord(task: "tiny", rank: 0, kind: "train B", predictedSeconds: 0.55, measuredSeconds: 0.5),
                           PredictionRecord(task: "tiny", rank: 0, kind: "train step", predictedSeconds: 1.0, measuredSeconds: 1.1),
                           PredictionRecord(task: "other", rank: 1, kind: "train F", predictedSeconds: 9, measuredSeconds: 9)]
        let breakdowns = ReportCharts.stepBreakdowns([Self.run], predictions: predictions)
        let breakdown = try #require(breakdowns.first)
        #expect(breakdowns.count == 1)
        #expect(breakdown.categories == ["rank 0 measured", "rank 0 predicted", "rank 1 measured"])
        #expect(breakdown.kinds.map(\.name) == ["F", "B", "grad-sync", "pipeline", "other"])
        func values(_ name: String) -> [Double?] { breakdown.kinds.first { $0.name == name }?.values ?? [] }
        #expect(values("F") == [0.5, 0.45, 0.3])
        #expect(values("B") == [0.5, 0.55, 0.5])
        #expect(values("grad-sync") == [0.05, nil, nil])
        #expect(values("pipeline") == [nil, nil, 0.2])
        // Rank 0's other: wall − kinds per step = 0.05, 0.15, −0.05 → median 0.05; rank 1: 0.
        let other = values("other")
        #expect(other.count == 3 && abs((other[0] ?? 0) - 0.05) < 1e-12 && other[1] == nil && other[2] == nil)
    }

    /// The section draws the loss chart and a breakdown chart; without train records it says so.
    @Test func sectionHasTheChartsOrSaysWhatIsAbsent() {
        let section = ReportCharts.training([Self.run], predictions: [])
        #expect(section.id == "training")
        #expect(section.figures.count == 2)
        #expect(section.figures[0].contains("Loss over steps") && section.figures[1].contains("rank 1 measured"))
        #expect(section.absent.contains { $0.contains("no predicted train steps") })
        var empty = Self.run
        empty.training = []
        let none = ReportCharts.training([empty], predictions: [])
        #expect(none.figures.isEmpty && none.absent == ["no train tasks in these results"])
    }
}
