import Foundation

/// Maps report input to ``ReportPoint`` rows. Each record type has its own mapping here; a new
/// record type adds one function and its rows appear in every chart and table.
public enum ReportPointBuilder {
    /// Rows for every measured configuration and simulated point, with efficiencies filled in.
    public static func points(from input: ReportInput) -> [ReportPoint] {
        pointsAndProblems(from: input).points
    }

    /// The rows, and one problem per row value that is not a finite number (an overflowing
    /// record such as `flops = 1e308` on several ranks): such a value is left out of the row
    /// (an empty cell, no marker) and named here, never written as a number.
    public static func pointsAndProblems(from input: ReportInput) -> (points: [ReportPoint], problems: [String]) {
        var rows = measuredRows(input.measured) + input.simulated.map(simulatedRow)
        fillEfficiency(&rows)
        var problems: [String] = []
        for row in rows {
            for column in ReportPoint.numericColumns {
                if let value = row.number(column), !value.isFinite {
                    problems.append("point \(row.id): \(column) is not a finite number (\(value)); left out")
                }
            }
            for (part, value) in row.breakdown.sorted(by: { $0.key < $1.key }) where !value.isFinite {
                problems.append("point \(row.id): breakdown.\(part) is not a finite number (\(value)); left out")
            }
        }
        return (rows.map(rounded), problems)
    }

    /// Per-run totals of a measured run: GEMM tasks (FLOPs over wall time) or, failing those, MoE steps.
    struct RunTotals {
        var throughput: Double
        var unit: String
        var stepSeconds: Double
        var breakdown: [String: Double]
        var computeSeconds: Double
        var commSeconds: Double
    }

    static func totals(_ run: ReportInput.MeasuredRun) -> RunTotals? {
        if !run.tasks.isEmpty {
            var flops = 0.0, wall = 0.0, compute = 0.0, comm = 0.0
            for (_, records) in Dictionary(grouping: run.tasks, by: \.taskIndex) {
                flops += records.reduce(0) { $0 + $1.flops }
                wall += records.map(\.wallSeconds).max() ?? 0
                compute += records.map(\.computeSeconds).max() ?? 0
                comm += records.map(\.commSeconds).max() ?? 0
            }
            guard wall > 0 else { return nil }
            return RunTotals(throughput: flops / wall / 1e9, unit: "GFLOP/s", stepSeconds: wall,
                             breakdown: ["compute": compute, "communication": comm, "other": max(0, wall - compute - comm)],
                             computeSeconds: compute, commSeconds: comm)
        }
        if !run.moe.isEmpty {
            // Per step: the slowest rank's parts; the run: medians over steps.
            let steps = Dictionary(grouping: run.moe, by: \.step).values
            let tokens = Statistics.median(steps.map { $0.reduce(0) { $0 + $1.tokensPerSecond } }) ?? 0
            let compute = Statistics.median(steps.map { $0.compactMap(\.computeSeconds).max() ?? 0 }) ?? 0
            let dispatch = Statistics.median(steps.map { $0.compactMap(\.dispatchSeconds).max() ?? 0 }) ?? 0
            let combine = Statistics.median(steps.map { $0.compactMap(\.combineSeconds).max() ?? 0 }) ?? 0
            return RunTotals(throughput: tokens, unit: "tokens/s", stepSeconds: compute + dispatch + combine,
                             breakdown: ["compute": compute, "dispatch": dispatch, "combine": combine],
                             computeSeconds: compute, commSeconds: dispatch + combine)
        }
        if !run.batches.isEmpty {
            // Per batch task: all ranks' FLOPs over the makespan; the run: tasks one after another.
            var flops = 0.0, makespan = 0.0, busy = 0.0
            for (_, records) in Dictionary(grouping: run.batches, by: \.taskIndex) {
                flops += records.reduce(0) { $0 + $1.flops }
                makespan += records.map(\.makespanSeconds).max() ?? 0
                busy += records.map(\.busySeconds).max() ?? 0
            }
            guard makespan > 0, flops.isFinite, makespan.isFinite else { return nil }
            return RunTotals(throughput: flops / makespan / 1e9, unit: "GFLOP/s", stepSeconds: makespan,
                             breakdown: ["compute": min(busy, makespan), "idle": max(0, makespan - busy)],
                             computeSeconds: busy, commSeconds: 0)
        }
        return nil
    }

    static func measuredRows(_ runs: [ReportInput.MeasuredRun]) -> [ReportPoint] {
        // Repetitions of one configuration become one row (medians).
        var order: [String] = []
        var groups: [String: [(ReportInput.MeasuredRun, RunTotals)]] = [:]
        for run in runs {
            guard let totals = totals(run) else { continue }
            let job = run.job?.job ?? run.tasks.first?.job ?? run.moe.first?.job ?? run.batches.first?.job ?? "job"
            let kind = run.tasks.isEmpty && run.moe.isEmpty && !run.batches.isEmpty ? "batch" : totals.unit
            let key = [job, run.point.scaling?.rawValue ?? "", "\(run.point.ranks ?? 0)", kind].joined(separator: "/")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append((run, totals))
        }
        return order.map { key in
            let members = groups[key]!
            let (first, firstTotals) = members[0]
            let job = first.job?.job ?? first.tasks.first?.job ?? first.moe.first?.job ?? first.batches.first?.job ?? "job"
            let scaling = first.point.scaling?.rawValue
            let ranks = first.point.ranks ?? 1
            let isMoE = firstTotals.unit == "tokens/s"
            let isBatch = first.tasks.isEmpty && first.moe.isEmpty
            let series = job + (isMoE ? " (MoE)" : isBatch ? " (batch)" : "") + (scaling.map { " — \($0) scaling" } ?? "")
            var breakdown: [String: Double] = [:]
            for part in firstTotals.breakdown.keys {
                breakdown[part] = Statistics.median(members.compactMap { $0.1.breakdown[part] })
            }
            return ReportPoint(
                id: SweepPoint.makeID([job, scaling ?? "", "r\(ranks)"] + (isMoE ? ["moe"] : isBatch ? ["batch"] : [])), mode: .measured, series: series,
                label: "\(job) \(scaling ?? "") r=\(ranks)".replacingOccurrences(of: "  ", with: " "),
                scaling: scaling, ranks: ranks, chips: nil, chipType: nil, parallel: nil, settings: nil,
                oversubscribed: members.contains { $0.0.point.oversubscribed }, runs: members.count,
                throughput: Statistics.median(members.map(\.1.throughput)), throughputUnit: firstTotals.unit, efficiency: nil,
                stepSeconds: Statistics.median(members.map(\.1.stepSeconds)),
                computeSeconds: Statistics.median(members.map(\.1.computeSeconds)),
                commSeconds: Statistics.median(members.map(\.1.commSeconds)),
                mfu: nil, gpuHours: nil, costUsd: nil, energyKwh: nil, trainDays: nil, fits: nil, breakdown: breakdown)
        }
    }

    static func simulatedRow(_ run: ReportInput.SimulatedRun) -> ReportPoint {
        let point = run.point, result = run.result
        let chipType = point.chipType ?? result.chip ?? point.cluster.map { ($0 as NSString).lastPathComponent } ?? "chip"
        let settings = (point.settings ?? []).joined(separator: ";")
        let chips = point.chips ?? result.gpus
        let throughput = result.tokensPerSecondPerGpu.flatMap { perGpu in chips.map { perGpu * Double($0) } }
        let series = point.series ?? ([chipType] + (settings.isEmpty ? [] : [settings])).joined(separator: " ")
        var row = ReportPoint(
            id: point.id, mode: .simulated, series: series,
            label: "\(chipType) ×\(chips.map(String.init) ?? "?")" + ((point.plannedParallel ?? point.parallel).map { " \($0)" } ?? "") + (settings.isEmpty ? "" : " \(settings)"),
            scaling: nil, ranks: nil, chips: chips, chipType: chipType, parallel: point.plannedParallel ?? point.parallel,
            settings: settings.isEmpty ? nil : settings, oversubscribed: false, runs: 1,
            throughput: throughput, throughputUnit: "tokens/s", efficiency: nil, stepSeconds: result.stepSeconds,
            computeSeconds: result.breakdown?["compute"] ?? result.breakdown?["computeSeconds"], commSeconds: nil,
            mfu: result.mfu, gpuHours: result.gpuHours, costUsd: result.costUsd, energyKwh: result.energyKwh,
            trainDays: result.trainDays, fits: result.fits, breakdown: result.breakdown ?? [:])
        row.goodput = result.goodput
        row.trainDaysWithFailures = result.trainDaysWithFailures
        row.gpuHoursWithFailures = result.gpuHoursWithFailures
        row.costUsdWithFailures = result.costUsdWithFailures
        return row
    }

    /// Efficiency relative to each series' smallest worker count.
    static func fillEfficiency(_ rows: inout [ReportPoint]) {
        let bySeries = Dictionary(grouping: rows.indices, by: { "\(rows[$0].mode.rawValue)/\(rows[$0].series)/\(rows[$0].throughputUnit)" })
        for (_, indices) in bySeries {
            guard let base = indices.filter({ rows[$0].workers != nil && rows[$0].throughput != nil })
                .min(by: { rows[$0].workers! < rows[$1].workers! }),
                  let baseThroughput = rows[base].throughput, let baseWorkers = rows[base].workers, baseThroughput > 0 else { continue }
            for index in indices {
                guard let throughput = rows[index].throughput, let workers = rows[index].workers, workers > 0 else { continue }
                rows[index].efficiency = (throughput / Double(workers)) / (baseThroughput / Double(baseWorkers))
            }
        }
    }

    static func rounded(_ row: ReportPoint) -> ReportPoint {
        var row = row
        func r(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? ReportNumber.rounded($0) : nil } }
        row.throughput = r(row.throughput)
        row.efficiency = r(row.efficiency)
        row.stepSeconds = r(row.stepSeconds)
        row.computeSeconds = r(row.computeSeconds)
        row.commSeconds = r(row.commSeconds)
        row.mfu = r(row.mfu)
        row.gpuHours = r(row.gpuHours)
        row.costUsd = r(row.costUsd)
        row.energyKwh = r(row.energyKwh)
        row.trainDays = r(row.trainDays)
        row.goodput = r(row.goodput)
        row.trainDaysWithFailures = r(row.trainDaysWithFailures)
        row.gpuHoursWithFailures = r(row.gpuHoursWithFailures)
        row.costUsdWithFailures = r(row.costUsdWithFailures)
        row.breakdown = row.breakdown.filter { $0.value.isFinite }.mapValues(ReportNumber.rounded)
        return row
    }
}
