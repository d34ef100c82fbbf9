import Foundation
import Reports

/// Rank 0's table for MoE tasks: one row per rank with medians over steps, then a summary per task.
enum MoETable {
    static func rows(_ records: [MoEStepRecord]) -> String {
        guard let first = records.first else { return "" }
        var text = "#\(pad("moe task", 15)) \(pad("rank", 5, right: true)) \(pad("steps", 5, right: true)) "
            + "\(pad("compute(s)", 11, right: true)) \(pad("dispatch(s)", 12, right: true)) \(pad("combine(s)", 11, right: true)) "
            + "\(pad("exposed(s)", 11, right: true)) \(pad("tokens/s", 10, right: true)) \(pad("GFLOP/s", 8, right: true)) "
            + "\(pad("imbal", 6, right: true)) \(pad("maxRelErr", 10, right: true)) verified\n"
        for rank in 0..<first.ranks {
            let mine = records.filter { $0.rank == rank }
            func med(_ key: KeyPath<MoEStepRecord, Double>) -> Double { Statistics.median(mine.map { $0[keyPath: key] }) ?? 0 }
            text += " \(pad(first.task, 15)) \(pad("\(rank)", 5, right: true)) \(pad("\(mine.count)", 5, right: true)) "
            text += "\(pad(String(format: "%.6f", med(\.computeSeconds)), 11, right: true)) "
            text += "\(pad(String(format: "%.6f", med(\.dispatchSeconds)), 12, right: true)) "
            text += "\(pad(String(format: "%.6f", med(\.combineSeconds)), 11, right: true)) "
            text += "\(pad(String(format: "%.6f", med(\.exposedCommSeconds)), 11, right: true)) "
            text += "\(pad(String(format: "%.0f", med(\.tokensPerSecond)), 10, right: true)) "
            text += "\(pad(String(format: "%.2f", med(\.gflops)), 8, right: true)) "
            text += "\(pad(String(format: "%.2f", med(\.imbalance)), 6, right: true)) "
            text += "\(pad(String(format: "%.2e", mine.map(\.maxRelError).max() ?? 0), 10, right: true)) "
            text += mine.allSatisfy(\.verified) ? "yes\n" : "NO\n"
        }
        return text
    }

    static func footer(_ records: [MoEStepRecord], unverified: Set<String> = []) -> String {
        var tasks: [String] = []
        for record in records where !tasks.contains(record.task) { tasks.append(record.task) }
        return tasks.map { task in
            let rows = records.filter { $0.task == task }
            let steps = Set(rows.map(\.step)).sorted()
            // Per step, the job moves Σ tokens in the slowest rank's wall time.
            let perStep = steps.map { step -> Double in
                let stepRows = rows.filter { $0.step == step }
                let wall = stepRows.map(\.wallSeconds).max() ?? 0
                return wall > 0 ? Double(stepRows.reduce(0) { $0 + $1.tokens }) / wall : 0
            }
            let exposed = Statistics.median(rows.map(\.exposedCommSeconds)) ?? 0, wall = Statistics.median(rows.map(\.wallSeconds)) ?? 0
            let dropped = steps.map { step in rows.first { $0.step == step }?.droppedPairs ?? 0 }.reduce(0, +)
            return "# \(task): \(String(format: "%.0f", Statistics.median(perStep) ?? 0)) tokens/s (median over \(steps.count) steps), "
                + "exposed communication \(String(format: "%.0f", wall > 0 ? 100 * exposed / wall : 0))% of the step, "
                + "\(dropped) pairs dropped, verification "
                + (unverified.contains(task) ? "off (verify = false)" : rows.allSatisfy(\.verified) ? "passed" : "FAILED")
        }.joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        guard text.count < width else { return text }
        let padding = String(repeating: " ", count: width - text.count)
        return right ? padding + text : text + padding
    }
}
