import Foundation

/// One row of `points.csv` / `points.json` and of the page's table: a measured configuration
/// (its repetitions merged by median) or a simulated point. Every chart is drawn from these rows
/// (plus the heatmap's and the scatter's own records), so the numbers agree everywhere.
public struct ReportPoint: Codable, Sendable, Equatable {
    /// The sweep point (simulated) or configuration (measured: `job/scaling/ranks`).
    public var id: String
    /// `measured` or `simulated`.
    public var mode: SweepPoint.Mode
    /// The curve the point belongs to.
    public var series: String
    /// A short label for category axes.
    public var label: String
    public var scaling: String?
    public var ranks: Int?
    public var chips: Int?
    public var chipType: String?
    public var parallel: String?
    /// What-if settings, `;`-separated.
    public var settings: String?
    /// More ranks than cores (measured): timings are not representative.
    public var oversubscribed: Bool
    /// Runs merged into this row (repetitions).
    public var runs: Int
    /// Aggregate throughput, in `throughputUnit` (`GFLOP/s` measured GEMM, `tokens/s` simulated or MoE).
    public var throughput: Double?
    public var throughputUnit: String
    /// (throughput / workers) over the same for the series' smallest worker count: 1 is ideal.
    public var efficiency: Double?
    /// Measured: sum over tasks of the slowest rank's wall seconds; simulated: one training step.
    public var stepSeconds: Double?
    public var computeSeconds: Double?
    public var commSeconds: Double?
    public var mfu: Double?
    public var gpuHours: Double?
    public var costUsd: Double?
    public var energyKwh: Double?
    public var trainDays: Double?
    /// Simulated runs with failures (checkpoints, lost work, restarts): goodput and the totals.
    public var goodput: Double? = nil
    public var trainDaysWithFailures: Double? = nil
    public var gpuHoursWithFailures: Double? = nil
    public var costUsdWithFailures: Double? = nil
    public var fits: Bool?
    /// Seconds of the step by part, for the stacked breakdown chart.
    public var breakdown: [String: Double]

    /// The number of workers: ranks (measured) or chips (simulated).
    public var workers: Int? { ranks ?? chips }

    /// The numeric columns, in table order, by name (for CSV, HTML and tests).
    public static let numericColumns = ["ranks", "chips", "runs", "throughput", "efficiency", "stepSeconds",
                                        "computeSeconds", "commSeconds", "mfu", "gpuHours", "costUsd", "energyKwh", "trainDays",
                                        "goodput", "trainDaysWithFailures", "gpuHoursWithFailures", "costUsdWithFailures"]

    /// The value of a numeric column.
    public func number(_ column: String) -> Double? {
        switch column {
        case "ranks": return ranks.map(Double.init)
        case "chips": return chips.map(Double.init)
        case "runs": return Double(runs)
        case "throughput": return throughput
        case "efficiency": return efficiency
        case "stepSeconds": return stepSeconds
        case "computeSeconds": return computeSeconds
        case "commSeconds": return commSeconds
        case "mfu": return mfu
        case "gpuHours": return gpuHours
        case "costUsd": return costUsd
        case "energyKwh": return energyKwh
        case "trainDays": return trainDays
        case "goodput": return goodput
        case "trainDaysWithFailures": return trainDaysWithFailures
        case "gpuHoursWithFailures": return gpuHoursWithFailures
        case "costUsdWithFailures": return costUsdWithFailures
        default:
            if column.hasPrefix("breakdown."), let value = breakdown[String(column.dropFirst("breakdown.".count))] { return value }
            return nil
        }
    }
}
