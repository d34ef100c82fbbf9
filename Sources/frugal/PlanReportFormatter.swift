import Foundation
import Simulator

/// Renders a ``PlanSearch/Outcome`` as a table or JSON.
enum PlanReportFormatter {
    static func table(_ outcome: PlanSearch.Outcome, space: ParallelConfigSpace, benchmark: (count: Int, seconds: Double)?) -> String {
        var lines: [String] = []
        let base = space.base
        lines.append("# frugal plan: \(space.model.name) on \(space.cluster.name) (\(space.cluster.gpuCount) × \(space.cluster.chip.name)), "
            + "\(base.globalBatchSequences) × \(base.sequenceLength) tokens per step, \(base.communicationSMs) communication SMs")
        lines.append("# \(outcome.gridCount) grid points, \(outcome.validCount) valid, \(outcome.fittingCount) fit in memory, "
            + "\(outcome.ranked.count) ranked after folding ZeRO stages")
        lines.append(String(format: "# stages: enumerate+validate %.2f s; memory %.2f s (%.0f configs/s); analytical %.3f s (%.0f configs/s); event simulation %.1f s",
                            outcome.enumerationSeconds, outcome.memorySeconds, outcome.memoryConfigsPerSecond,
                            outcome.analyticalSeconds, outcome.analyticalConfigsPerSecond, outcome.simulationSeconds))
        if let benchmark {
            lines.append(String(format: "# benchmark: analytical stage %d configurations in %.2f s = %.0f configs/s (one thread)",
                                benchmark.count, benchmark.seconds, Double(benchmark.count) / max(benchmark.seconds, 1e-9)))
        }
        lines.append("")
        let header = ["rank", "config (tp pp ep dp zero schedule micro-batch recompute precision node-limit)", "est s", "est#",
                      "step s", "tok/s/GPU", "MFU", "headroom GB", "limited by"]
        var rows: [[String]] = []
        for (index, entry) in outcome.simulated.enumerated() {
            let r = entry.result
            rows.append(["\(index + 1)", label(entry.candidate.config, space) + (entry.candidate.config == outcome.baseConfig ? " *" : ""),
                         String(format: "%.2f", entry.candidate.estimate.stepSeconds), "\(entry.analyticalRank)",
                         r.stepSeconds.map { String(format: "%.2f", $0) } ?? "-",
                         r.tokensPerSecondPerGpu.map { String(format: "%.0f", $0) } ?? "-",
                         r.mfu.map { String(format: "%.1f%%", 100 * $0) } ?? "-",
                         String(format: "%.1f", (r.memory.capacityBytes - r.memory.totalBytes) / 1e9), entry.limitingFactor])
        }
        let widths = header.indices.map { column in max(header[column].count, rows.map { $0[column].count }.max() ?? 0) }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                column == 1 || column == cells.count - 1 ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }
        lines.append(line(header))
        for row in rows { lines.append(line(row)) }
        lines.append("")
        lines.append("# rank: by simulated step; est s / est#: analytical step and its rank; * = the --train setup's own configuration")
        if let own = outcome.baseConfig.map({ label($0, space) }) {
            if let rank = outcome.baseAnalyticalRank {
                lines.append("# the --train setup (\(own)) is #\(rank) of \(outcome.ranked.count) analytically")
            } else if outcome.baseFits == false {
                lines.append("# the --train setup (\(own)) does not fit in memory")
            } else {
                lines.append("# the --train setup (\(own)) is not in the search space or not valid")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ outcome: PlanSearch.Outcome, space: ParallelConfigSpace, benchmark: (count: Int, seconds: Double)?) -> String {
        struct Row: Encodable {
            var rank: Int
            var config: String
            var tp: Int, pp: Int, ep: Int, dp: Int, zeroStage: Int
            var schedule: String
            var microBatchSequences: Int
            var recompute: String, precision: String
            var routingNodeLimit: Int
            var analyticalStepSeconds: Double
            var analyticalRank: Int
            var limitingFactor: String
            var headroomBytes: Double
            var simulation: SimulationResult
        }
        struct Document: Encodable {
            var model: String, cluster: String, gpus: Int
            var gridCount: Int, validCount: Int, fittingCount: Int, rankedCount: Int
            var enumerationSeconds: Double, memorySeconds: Double, analyticalSeconds: Double, simulationSeconds: Double
            var analyticalConfigsPerSecond: Double
            var benchmarkConfigsPerSecond: Double?
            var baseConfig: String?
            var baseAnalyticalRank: Int?
            var candidates: [Row]
        }
        let rows = outcome.simulated.enumerated().map { index, entry in
            let c = entry.candidate.config
            return Row(rank: index + 1, config: label(c, space), tp: c.tp, pp: c.pp, ep: c.ep, dp: c.dp, zeroStage: c.zeroStage,
                       schedule: c.scheduleName, microBatchSequences: c.microBatchSequences, recompute: c.recompute.rawValue,
                       precision: c.precision.rawValue, routingNodeLimit: c.routingNodeLimit,
                       analyticalStepSeconds: entry.candidate.estimate.stepSeconds, analyticalRank: entry.analyticalRank,
                       limitingFactor: entry.limitingFactor,
                       headroomBytes: entry.result.memory.capacityBytes - entry.result.memory.totalBytes, simulation: entry.result)
        }
        let document = Document(model: space.model.name, cluster: space.cluster.name, gpus: space.cluster.gpuCount,
                                gridCount: outcome.gridCount, validCount: outcome.validCount, fittingCount: outcome.fittingCount,
                                rankedCount: outcome.ranked.count, enumerationSeconds: outcome.enumerationSeconds,
                                memorySeconds: outcome.memorySeconds, analyticalSeconds: outcome.analyticalSeconds,
                                simulationSeconds: outcome.simulationSeconds,
                                analyticalConfigsPerSecond: outcome.analyticalConfigsPerSecond,
                                benchmarkConfigsPerSecond: benchmark.map { Double($0.count) / max($0.seconds, 1e-9) },
                                baseConfig: outcome.baseConfig.map { label($0, space) }, baseAnalyticalRank: outcome.baseAnalyticalRank,
                                candidates: rows)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(document)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }

    /// A candidate's one-line form with what every candidate keeps of the base setup: its context
    /// parallelism and sequence parallelism (`cp2 sp`), so that tp·cp·pp·dp is the cluster's GPUs.
    static func label(_ config: ParallelConfig, _ space: ParallelConfigSpace) -> String {
        config.description + (space.base.cp > 1 ? " cp\(space.base.cp)" : "")
            + (space.base.sequenceParallel && config.tp > 1 ? " sp" : "")
    }
}
