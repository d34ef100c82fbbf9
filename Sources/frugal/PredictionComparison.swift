import Foundation
import Reports
import Runtime
import Simulator
import Workload

/// `frugal run --predict`: per task, what the simulator predicted (from the cluster file) and
/// what the run measured — compute, communication and the slowest rank's total — with the error.
struct PredictionComparison {
    struct Row {
        var task: String
        var kind: JobTaskKind
        var rank: Int
        var predictedCompute: Double, measuredCompute: Double
        var predictedComm: Double, measuredComm: Double
        var predicted: Double { predictedCompute + predictedComm }
        var measured: Double { measuredCompute + measuredComm }
    }
    var rows: [Row] = []

    init(outcome: JobRunner.Outcome, predictions: [TaskPrediction]) {
        for prediction in predictions {
            switch prediction.kind {
            case .gemm:
                for record in outcome.tasks where record.task == prediction.task {
                    rows.append(Row(task: record.task, kind: .gemm, rank: record.rank,
                                    predictedCompute: prediction.computeSeconds[record.rank], measuredCompute: record.computeSeconds,
                                    predictedComm: prediction.commSeconds[record.rank], measuredComm: record.commSeconds))
                }
            case .moe:
                let steps = outcome.moeSteps.filter { $0.task == prediction.task }
                for rank in Set(steps.map(\.rank)).sorted() {
                    let mine = steps.filter { $0.rank == rank }
                    rows.append(Row(task: prediction.task, kind: .moe, rank: rank,
                                    predictedCompute: prediction.computeSeconds[rank], measuredCompute: Statistics.median(mine.map(\.computeSeconds)) ?? 0,
                                    predictedComm: prediction.commSeconds[rank], measuredComm: Statistics.median(mine.map(\.exposedCommSeconds)) ?? 0))
                }
            case .batch:
                for record in outcome.batches where record.task == prediction.task {
                    rows.append(Row(task: record.task, kind: .batch, rank: record.rank,
                                    predictedCompute: prediction.computeSeconds[record.rank], measuredCompute: record.makespanSeconds,
                                    predictedComm: 0, measuredComm: 0))
                }
            case .train:
                let steps = outcome.trainSteps.filter { $0.task == prediction.task }
                for rank in Set(steps.map(\.rank)).sorted() {
                    let mine = steps.filter { $0.rank == rank }
                    rows.append(Row(task: prediction.task, kind: .train, rank: rank,
                                    predictedCompute: prediction.computeSeconds[rank], measuredCompute: Statistics.median(mine.map(\.computeSeconds)) ?? 0,
                                    predictedComm: prediction.commSeconds[rank], measuredComm: Statistics.median(mine.map(\.commSeconds)) ?? 0))
                }
            }
        }
    }

    func table(clusterFile: String) -> String {
        var text = "# predicted (frugal simulate, \(clusterFile)) vs measured, seconds per repetition/step\n"
        text += "#task             kind   rank  pred.compute  meas.compute   pred.comm   meas.comm  pred.total  meas.total   error\n"
        for row in rows {
            let error = row.measured > 0 ? 100 * (row.predicted - row.measured) / row.measured : 0
            text += " " + row.task.padding(toLength: 16, withPad: " ", startingAt: 0)
            text += String(format: " %-5@ %5d  %12.6f  %12.6f  %10.6f  %10.6f  %10.6f  %10.6f  %+6.1f%%\n", row.kind.rawValue as NSString, row.rank,
                           row.predictedCompute, row.measuredCompute, row.predictedComm, row.measuredComm,
                           row.predicted, row.measured, error)
        }
        return text + "# error = (predicted − measured) / measured of the total"
    }

    /// `predictions.jsonl` for `frugal report`: one line per task, rank and kind (compute, comm).
    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var lines = ""
        for row in rows {
            for (kind, predicted, measured) in [("\(row.kind.rawValue) compute", row.predictedCompute, row.measuredCompute),
                                                ("\(row.kind.rawValue) comm", row.predictedComm, row.measuredComm)] where measured > 0 {
                let record = PredictionRecord(task: row.task, rank: row.rank, kind: kind, predictedSeconds: predicted, measuredSeconds: measured)
                lines += String(decoding: try encoder.encode(record), as: UTF8.self) + "\n"
            }
        }
        try AtomicFile.write(lines, to: path)
    }
}
