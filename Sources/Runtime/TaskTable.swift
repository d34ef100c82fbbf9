import Foundation
import Reports
import Workload

/// The per-rank table rank 0 prints, nccl-tests style: one header, one row per task and rank,
/// then one summary row per task.
enum TaskTable {
    static func title(job: Job, jobPath: String, ranks: Int) -> String {
        "# frugal run \(jobPath): job '\(job.name)', \(ranks) rank\(ranks == 1 ? "" : "s"), seed \(job.seed)"
    }

    static var header: String {
        """
        # GEMM times are medians over repetitions; GFLOP/s = block FLOPs / compute seconds
        #\(pad("task", 15)) \(pad("rank", 5, right: true)) \(pad("host", 12)) \(pad("sharding", 9)) \(pad("C block", 26)) \(pad("compute(s)", 11, right: true)) \(pad("comm(s)", 10, right: true)) \(pad("GFLOP/s", 9, right: true)) \(pad("maxRelErr", 10, right: true)) verified
        """
    }

    static func rows(_ records: [TaskRecord]) -> String {
        var text = ""
        for record in records {
            let block = "[\(record.blockRows[0])..<\(record.blockRows[1]), \(record.blockColumns[0])..<\(record.blockColumns[1])]"
            text += " \(pad(record.task, 15)) \(pad("\(record.rank)", 5, right: true)) \(pad(record.host, 12)) "
            text += "\(pad(record.sharding == "grid" ? "grid \(record.grid)" : record.sharding, 9)) \(pad(block, 26)) "
            text += "\(pad(String(format: "%.6f", record.computeSeconds), 11, right: true)) "
            text += "\(pad(String(format: "%.6f", record.commSeconds), 10, right: true)) "
            text += "\(pad(String(format: "%.2f", record.gflops), 9, right: true)) "
            text += "\(pad(String(format: "%.2e", record.maxRelError), 10, right: true)) \(record.verified ? "yes" : "NO")\n"
        }
        return text
    }

    static func footer(_ records: [TaskRecord], unverified: Set<String> = []) -> String {
        var lines: [String] = []
        var seen: [String] = []
        for record in records where !seen.contains(record.task) { seen.append(record.task) }
        for task in seen {
            let rows = records.filter { $0.task == task }
            let flops = rows.reduce(0) { $0 + $1.flops }
            let wall = rows.map(\.wallSeconds).max() ?? 0
            let verified = rows.allSatisfy(\.verified)
            lines.append("# \(task): \(String(format: "%.2f", wall > 0 ? flops / wall / 1e9 : 0)) GFLOP/s aggregate "
                         + "(\(String(format: "%.3g", flops / 1e9)) GFLOP in \(String(format: "%.6f", wall)) s wall), "
                         + "verification \(unverified.contains(task) ? "off (verify = false)" : verified ? "passed" : "FAILED")")
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        guard text.count < width else { return text }
        let padding = String(repeating: " ", count: width - text.count)
        return right ? padding + text : text + padding
    }
}
