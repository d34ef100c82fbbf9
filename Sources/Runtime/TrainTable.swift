import Foundation
import Reports

/// Rank 0's table for train tasks: a line per step as it completes (the loss), then one row per
/// rank with medians over steps (seconds per op kind among them), then a summary per task.
enum TrainTable {
    /// Op kinds shown as columns, in the order a step runs them.
    static let kindColumns = ["F", "B", "W", "dispatch", "combine", "combine-bwd", "dispatch-bwd", TrainStepRecord.pipelineKind,
                              TrainStepRecord.syncWaitKind, "grad-sync", "optimizer", "param-gather"]

    /// The line printed when a step's records are written.
    static func stepLine(_ records: [TrainStepRecord]) -> String {
        guard let first = records.first else { return "" }
        let wall = records.map(\.wallSeconds).max() ?? 0
        let reference = first.referenceLoss.map { String(format: " (single rank %.6f)", $0) } ?? ""
        return "# \(first.task) step \(first.step): loss \(String(format: "%.6f", first.loss))\(reference), "
            + "\(String(format: "%.3f", wall)) s, " + (records.allSatisfy(\.verified) ? "verified" : "NOT verified")
    }

    static func rows(_ records: [TrainStepRecord]) -> String {
        guard let first = records.first else { return "" }
        let kinds = kindColumns.filter { kind in records.contains { ($0.secondsByKind[kind] ?? 0) > 0 } }
        var text = "#\(pad("train task", 15)) \(pad("rank", 4, right: true)) \(pad("stage", 5, right: true)) "
            + "\(pad("steps", 5, right: true)) \(pad("tokens/s", 9, right: true)) \(pad("compute(s)", 10, right: true)) "
            + "\(pad("comm(s)", 8, right: true)) " + kinds.map { pad($0 + "(s)", 9, right: true) }.joined(separator: " ")
            + " \(pad("maxRelErr", 9, right: true)) verified\n"
        for rank in 0..<first.ranks {
            let mine = records.filter { $0.rank == rank }
            guard let any = mine.first else { continue }
            func med(_ values: [Double]) -> Double { Statistics.median(values) ?? 0 }
            text += " \(pad(first.task, 15)) \(pad("\(rank)", 4, right: true)) \(pad("\(any.stage)", 5, right: true)) "
            text += "\(pad("\(mine.count)", 5, right: true)) "
            text += "\(pad(String(format: "%.0f", med(mine.map(\.tokensPerSecond))), 9, right: true)) "
            text += "\(pad(String(format: "%.4f", med(mine.map(\.computeSeconds))), 10, right: true)) "
            text += "\(pad(String(format: "%.4f", med(mine.map(\.commSeconds))), 8, right: true)) "
            text += kinds.map { kind in
                pad(String(format: "%.4f", med(mine.map { $0.secondsByKind[kind] ?? 0 })), 9, right: true)
            }.joined(separator: " ")
            text += " \(pad(String(format: "%.2e", mine.map(\.maxRelError).max() ?? 0), 9, right: true)) "
            text += mine.allSatisfy(\.verified) ? "yes\n" : "NO\n"
        }
        return text
    }

    static func footer(_ records: [TrainStepRecord], unverified: Set<String> = []) -> String {
        var tasks: [String] = []
        for record in records where !tasks.contains(record.task) { tasks.append(record.task) }
        return tasks.map { task in
            let rows = records.filter { $0.task == task }
            let steps = Set(rows.map(\.step)).sorted()
            let losses = steps.compactMap { step in rows.first { $0.step == step }?.loss }
            let throughput = Statistics.median(steps.map { step in rows.filter { $0.step == step }.map(\.tokensPerSecond).min() ?? 0 }) ?? 0
            let trend = losses.count > 1 ? String(format: "loss %.4f → %.4f", losses[0], losses[losses.count - 1])
                                         : String(format: "loss %.4f", losses.first ?? 0)
            return "# \(task): \(trend) over \(steps.count) steps, \(String(format: "%.0f", throughput)) tokens/s "
                + "(median over steps of the slowest rank), verification "
                + (unverified.contains(task) ? "off (verify = false)" : rows.allSatisfy(\.verified) ? "passed" : "FAILED")
        }.joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        guard text.count < width else { return text }
        let padding = String(repeating: " ", count: width - text.count)
        return right ? padding + text : text + padding
    }
}
