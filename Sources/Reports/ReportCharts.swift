import Foundation

/// Builds the report's sections (charts) from the rows and the raw input.
public enum ReportCharts {
    /// All sections, in page order.
    public static func sections(points: [ReportPoint], input: ReportInput) -> [ReportSection] {
        [throughput(points), efficiency(points), breakdown(points), predictedVersusMeasured(input.predictions),
         costByChip(points), expertLoad(input.measured), batchSchedules(input.measured),
         training(input.measured, predictions: input.predictions)]
    }

    /// Batch tasks: each task's schedule efficiency (lower bound / makespan) per run, as bars.
    static func batchSchedules(_ runs: [ReportInput.MeasuredRun]) -> ReportSection {
        var section = ReportSection(
            id: "batch", title: "Batch schedules",
            explanation: "Each batch task's schedule efficiency: the lower bound max(total item seconds / ranks, longest item) "
                + "over the measured makespan (100 % = no schedule could finish sooner), by policy and rank count.")
        var categories: [String] = []
        var values: [Double?] = []
        for run in runs {
            for (_, records) in Dictionary(grouping: run.batches, by: \.taskIndex).sorted(by: { $0.key < $1.key }) {
                guard let first = records.first else { continue }
                categories.append("\(first.task) (\(first.policy)) r=\(first.ranks)")
                values.append(first.efficiency.isFinite ? ReportNumber.rounded(first.efficiency * 100) : nil)
            }
        }
        guard !categories.isEmpty else {
            section.absent.append("no batch tasks in these results")
            return section
        }
        let chart = BarChart(title: "Batch schedule efficiency", categories: categories,
                             series: [BarChart.Series(name: "efficiency", values: values, colorIndex: ChartPalette.seriesColorIndex(0))],
                             layout: .grouped, valueAxis: ChartAxis(title: "schedule efficiency (%)", tickSuffix: "%"),
                             categoryTitle: "batch task")
        section.figures.append(chart.svg(id: "batch-efficiency"))
        return section
    }

    /// Series of `rows` by their `series` name, in first-appearance order.
    static func grouped(_ rows: [ReportPoint]) -> [(name: String, rows: [ReportPoint])] {
        var order: [String] = []
        var groups: [String: [ReportPoint]] = [:]
        for row in rows {
            if groups[row.series] == nil { order.append(row.series) }
            groups[row.series, default: []].append(row)
        }
        return order.map { ($0, groups[$0]!.sorted { ($0.workers ?? 0) < ($1.workers ?? 0) }) }
    }

    static func throughput(_ points: [ReportPoint]) -> ReportSection {
        var section = ReportSection(
            id: "throughput", title: "Throughput vs ranks and chips",
            explanation: "Aggregate throughput against the number of workers (MPI ranks measured, chips simulated), log–log. "
                + "Dashed: ideal linear scaling from each series' smallest count. Hollow markers: oversubscribed runs (more ranks than cores).")
        section.absent += notFitting(points)
        for mode in SweepPoint.Mode.allCases {
            let rows = points.filter { $0.mode == mode && $0.throughput != nil && $0.workers != nil }
            guard !rows.isEmpty else {
                section.absent.append(mode == .measured ? "no measured runs in these results" : "no simulated points in these results")
                continue
            }
            for unit in uniqueOrdered(rows.map(\.throughputUnit)) {
                var series: [ChartSeries] = []
                for (index, group) in grouped(rows.filter { $0.throughputUnit == unit }).enumerated() {
                    series.append(ChartSeries(name: group.name, points: group.rows.map {
                        .init(x: Double($0.workers!), y: $0.throughput!, hollow: $0.oversubscribed,
                              note: "\($0.label): \(ReportNumber.text($0.throughput)) \(unit)" + ($0.oversubscribed ? " (oversubscribed)" : ""))
                    }, colorIndex: ChartPalette.seriesColorIndex(index)))
                    if let base = group.rows.first, group.rows.count > 1 {
                        let perWorker = base.throughput! / Double(base.workers!)
                        series.append(ChartSeries(name: "ideal: \(group.name)", points: group.rows.map {
                            .init(x: Double($0.workers!), y: perWorker * Double($0.workers!))
                        }, style: .dashedLine, colorIndex: ChartPalette.seriesColorIndex(index)))
                    }
                }
                let workers = mode.workers
                let chart = XYChart(title: "\(mode.title) throughput (\(unit)) vs \(workers)",
                                    xAxis: ChartAxis(title: "\(workers) (count)", scale: .log, ticksAtData: true),
                                    yAxis: ChartAxis(title: "throughput (\(unit))", scale: .log),
                                    series: series,
                                    footnote: rows.contains { $0.throughputUnit == unit && $0.oversubscribed }
                                        ? "hollow markers: oversubscribed (more ranks than cores)" : nil)
                section.figures.append(chart.svg(id: "throughput-\(mode.rawValue)-\(slug(unit))"))
            }
        }
        return section
    }

    static func efficiency(_ points: [ReportPoint]) -> ReportSection {
        var section = ReportSection(
            id: "efficiency", title: "Parallel efficiency",
            explanation: "Throughput per worker relative to the same series at its smallest worker count (100 % = ideal). "
                + "Strong scaling: fixed problem; weak scaling: the problem grows with the ranks.")
        for mode in SweepPoint.Mode.allCases {
            let groups = grouped(points.filter { $0.mode == mode && $0.efficiency != nil && $0.workers != nil }).filter { $0.rows.count > 1 }
            guard !groups.isEmpty else {
                section.absent.append("no \(mode.rawValue) series with two or more \(mode.worker) counts in these results")
                continue
            }
            var series = groups.enumerated().map { index, group in
                ChartSeries(name: group.name, points: group.rows.map {
                    .init(x: Double($0.workers!), y: $0.efficiency! * 100, hollow: $0.oversubscribed,
                          note: "\($0.label): \(ReportNumber.text($0.efficiency! * 100)) %")
                }, colorIndex: ChartPalette.seriesColorIndex(index))
            }
            let xs = groups.flatMap { $0.rows.map { Double($0.workers!) } }
            series.append(ChartSeries(name: "ideal (100 %)", points: [.init(x: xs.min()!, y: 100), .init(x: xs.max()!, y: 100)],
                                      style: .dashedLine, colorIndex: 7))
            let workers = mode.workers
            let chart = XYChart(title: "\(mode.title) parallel efficiency vs \(workers)",
                                xAxis: ChartAxis(title: "\(workers) (count)", scale: .log, ticksAtData: true),
                                yAxis: ChartAxis(title: "parallel efficiency (%)", scale: .linear, tickSuffix: "%"),
                                series: series)
            section.figures.append(chart.svg(id: "efficiency-\(mode.rawValue)"))
        }
        return section
    }

    static func breakdown(_ points: [ReportPoint]) -> ReportSection {
        var section = ReportSection(
            id: "breakdown", title: "Step-time breakdown",
            explanation: "Where the time goes, stacked. Measured: per task the slowest rank's compute and MPI seconds, summed over "
                + "tasks; other = wall − compute − communication. Simulated: the simulator's step breakdown.")
        for mode in SweepPoint.Mode.allCases {
            let rows = points.filter { $0.mode == mode && !$0.breakdown.isEmpty }
            guard !rows.isEmpty else {
                section.absent.append("no \(mode.rawValue) step-time breakdowns in these results")
                continue
            }
            let parts = orderedParts(rows.flatMap { $0.breakdown.keys })
            let chart = BarChart(
                title: "\(mode.title) step-time breakdown",
                categories: rows.map { $0.label + ($0.oversubscribed ? " (oversub.)" : "") },
                series: parts.enumerated().map { index, part in
                    .init(name: part, values: rows.map { $0.breakdown[part] }, colorIndex: ChartPalette.seriesColorIndex(index))
                },
                layout: .stacked, valueAxis: ChartAxis(title: "time (seconds)"), categoryTitle: mode == .measured ? "run" : "simulated point")
            section.figures.append(chart.svg(id: "breakdown-\(mode.rawValue)"))
        }
        return section
    }

    static func predictedVersusMeasured(_ predictions: [PredictionRecord]) -> ReportSection {
        var section = ReportSection(
            id: "predicted-vs-measured", title: "Predicted vs measured",
            explanation: "Each marker is one task on one rank: the simulator's predicted seconds against the measured seconds, log–log. "
                + "On the dashed y = x line the prediction is exact; above it the simulator is pessimistic.")
        let usable = predictions.filter { $0.predictedSeconds > 0 && $0.measuredSeconds > 0 }
        guard !usable.isEmpty else {
            section.absent.append("no predictions in these results (predictions.jsonl, written by calibration)")
            return section
        }
        let kinds = uniqueOrdered(usable.map { $0.kind ?? "task" })
        var series = kinds.enumerated().map { index, kind in
            ChartSeries(name: kind, points: usable.filter { ($0.kind ?? "task") == kind }.map {
                .init(x: $0.measuredSeconds, y: $0.predictedSeconds,
                      note: "\($0.task)\($0.rank.map { " rank \($0)" } ?? ""): measured \(ReportNumber.text($0.measuredSeconds)) s, predicted \(ReportNumber.text($0.predictedSeconds)) s")
            }, style: .markers, colorIndex: ChartPalette.seriesColorIndex(index))
        }
        let all = usable.flatMap { [$0.predictedSeconds, $0.measuredSeconds] }
        series.append(ChartSeries(name: "y = x", points: [.init(x: all.min()!, y: all.min()!), .init(x: all.max()!, y: all.max()!)],
                                  style: .dashedLine, colorIndex: 7))
        let chart = XYChart(title: "Predicted vs measured seconds", xAxis: ChartAxis(title: "measured time (seconds)", scale: .log),
                            yAxis: ChartAxis(title: "predicted time (seconds)", scale: .log), series: series)
        section.figures.append(chart.svg(id: "predicted-vs-measured"))
        return section
    }

    static func costByChip(_ points: [ReportPoint]) -> ReportSection {
        var section = ReportSection(
            id: "cost", title: "GPU-hours and cost by chip type",
            explanation: "Simulated training runs: total GPU-hours and dollars (the cluster file's price per GPU-hour), by chip type; "
                + "one bar per configuration (chips, parallelism, what-if links). \"With failures\" adds checkpoints, lost work "
                + "and restarts at the simulator's failure rate (goodput in points.csv).")
        let rows = points.filter { $0.mode == .simulated && ($0.gpuHours != nil || $0.costUsd != nil) }
        section.absent += notFitting(points)
        guard !rows.isEmpty else {
            section.absent.append("no simulated points with GPU-hours or cost in these results")
            return section
        }
        let chipTypes = uniqueOrdered(rows.map { $0.chipType ?? "chip" })
        func variant(_ row: ReportPoint) -> String {
            "\(row.chips.map { "\($0) chips" } ?? "?")" + (row.parallel.map { ", \($0)" } ?? "") + (row.settings.map { ", \($0)" } ?? "")
        }
        let variants = uniqueOrdered(rows.map(variant))
        for (metric, title, unit) in [("gpuHours", "GPU-hours by chip type", "GPU-hours"), ("costUsd", "Cost by chip type", "US dollars"),
                                      ("gpuHoursWithFailures", "GPU-hours with failures by chip type", "GPU-hours"),
                                      ("costUsdWithFailures", "Cost with failures by chip type", "US dollars")]
        where rows.contains(where: { $0.number(metric) != nil }) {
            let series = variants.enumerated().map { index, name in
                BarChart.Series(name: name, values: chipTypes.map { chip in
                    rows.first { ($0.chipType ?? "chip") == chip && variant($0) == name }?.number(metric)
                }, colorIndex: ChartPalette.seriesColorIndex(index))
            }
            let chart = BarChart(title: title, categories: chipTypes, series: series, layout: .grouped,
                                 valueAxis: ChartAxis(title: "\(unit == "US dollars" ? "cost" : "GPU time") (\(unit))"),
                                 categoryTitle: "chip type")
            section.figures.append(chart.svg(id: "cost-\(metric)"))
        }
        return section
    }

    static func expertLoad(_ runs: [ReportInput.MeasuredRun]) -> ReportSection {
        var section = ReportSection(
            id: "expert-load", title: "Per-expert load over steps",
            explanation: "Tokens routed to each expert (columns) at each step (rows), from the MoE records' expertLoads; "
                + "a dark column is a hot expert, an even colour is a balanced router.")
        var figures = 0
        for run in runs where !run.moe.isEmpty {
            for task in uniqueOrdered(run.moe.map(\.task)) where figures < 6 {
                let records = run.moe.filter { $0.task == task }
                let lowestRank = records.map(\.rank).min() ?? 0
                let steps = records.filter { $0.rank == lowestRank }.sorted { $0.step < $1.step }
                guard !steps.isEmpty else { continue }
                let chart = HeatmapChart(title: "Expert load: \(task) (\(run.point.id), \(run.point.ranks.map { "\($0) ranks" } ?? ""))",
                                         values: steps.map { $0.expertLoads.map(Double.init) }, rowTitle: "step", columnTitle: "expert",
                                         rowLabels: steps.map { "\($0.step)" }, valueTitle: "tokens")
                section.figures.append(chart.svg(id: "expert-load-\(figures)"))
                figures += 1
            }
        }
        if figures == 0 { section.absent.append("no MoE runs in these results") }
        return section
    }

    /// Sentences for simulated points that do not fit in GPU memory (they have no timings to plot).
    static func notFitting(_ points: [ReportPoint]) -> [String] {
        points.filter { $0.mode == .simulated && $0.fits == false && $0.throughput == nil }
            .map { "\($0.label): does not fit in GPU memory, so the simulator gives no timings to plot" }
    }

    /// Breakdown parts in stacking order: compute at the bottom, then the rest by name, `other` on top.
    static func orderedParts(_ parts: [String]) -> [String] {
        let unique = Set(parts)
        let first = ["compute"].filter(unique.contains), last = ["other"].filter(unique.contains)
        return first + unique.subtracting(first + last).sorted() + last
    }

    static func uniqueOrdered(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }

    static func slug(_ text: String) -> String { SweepPoint.makeID([text.replacingOccurrences(of: "/", with: "-per-")]) }
}
