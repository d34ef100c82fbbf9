import Foundation
import Simulator

/// Renders a ``SimulationResult`` as a human table, JSON or CSV.
enum SimulationReportFormatter {
    /// The text of `result`, or nil when JSON cannot hold it (a non-finite number: callers check
    /// ``SimulationResult/nonFiniteMessage()`` first, so this is a last guard, never `{}`).
    static func format(_ result: SimulationResult, as format: Simulate.OutputFormat) -> String? {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return (try? encoder.encode(result)).flatMap { String(data: $0, encoding: .utf8) }
        case .csv:
            let fields = rows(result)
            return fields.map(\.0).joined(separator: ",") + "\n" + fields.map { csvValue($0.1) }.joined(separator: ",") + "\n"
        case .table:
            let fields = rows(result)
            let width = fields.map(\.0.count).max() ?? 0
            return fields.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n") + "\n"
        }
    }

    private static func csvValue(_ text: String) -> String {
        text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    private static func number(_ value: Double?, _ digits: Int = 3) -> String {
        guard let value else { return "-" }
        return String(format: "%.\(digits)f", value)
    }

    private static func rows(_ r: SimulationResult) -> [(String, String)] {
        var rows: [(String, String)] = [
            ("cluster", r.cluster), ("model", r.model), ("chip", r.chip), ("gpus", "\(r.gpus)"),
            ("parallel", r.parallel), ("schedule", r.schedule), ("precision", r.precision), ("recompute", r.recompute),
            ("software", r.software ?? "-"),
            ("microBatches", "\(r.microBatches)"), ("tokensPerStep", number(r.tokensPerStep, 0)),
            ("fits", "\(r.fits)"), ("memoryPerGpuGB", number(r.memoryPerGpuBytes / 1e9, 1)),
            ("memoryCapacityGB", number(r.memory.capacityBytes / 1e9, 1)),
            ("stepSeconds", number(r.stepSeconds)), ("tokensPerSecondPerGpu", number(r.tokensPerSecondPerGpu, 1)),
            ("mfu", number(r.mfu, 4)), ("mfuCausal", number(r.mfuCausal, 4)), ("tflopsPerGpu", number(r.tflopsPerGpu, 1)),
            ("gpuHoursPerTrillionTokens", number(r.gpuHoursPerTrillionTokens, 0)), ("tokensToTrain", String(format: "%.3g", r.tokensToTrain)),
            ("trainDays", number(r.trainDays, 1)), ("gpuHours", number(r.gpuHours, 0)), ("costUsd", number(r.costUsd, 0)),
            ("energyKwh", number(r.energyKwh, 0)),
            ("goodput", number(r.goodput?.goodput, 4)), ("checkpointIntervalMinutes", number(r.goodput.map { $0.checkpointIntervalSeconds / 60 }, 1)),
            ("expectedFailures", number(r.goodput?.expectedFailures, 0)), ("trainDaysWithFailures", number(r.trainDaysWithFailures, 1)),
            ("gpuHoursWithFailures", number(r.gpuHoursWithFailures, 0)), ("costUsdWithFailures", number(r.costUsdWithFailures, 0)),
        ]
        if let b = r.breakdown {
            rows.append(("compute", number(b.computeSeconds)))
            for (kind, seconds) in b.exposedCommunicationSeconds.sorted(by: { $0.key < $1.key }) {
                rows.append(("exposed." + kind.rawValue, number(seconds)))
            }
            rows.append(("bubble", number(b.bubbleSeconds)))
            rows.append(("optimizer", number(b.optimizerSeconds)))
            rows.append(("imbalanceWait", number(b.imbalanceWaitSeconds)))
        }
        rows.append(("ranksRun", "\(r.ranksRun)"))
        rows.append(("events", "\(r.events)"))
        rows.append(("simulationWallSeconds", number(r.simulationWallSeconds)))
        rows.append(("eventsPerSecond", number(r.eventsPerSecond, 0)))
        return rows
    }
}
