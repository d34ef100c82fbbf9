import Foundation

extension ReportCharts {
    /// Train tasks: the loss over steps (one line per run and task) and each rank's step by op
    /// kind, stacked — measured (median over the steps) and, where `predictions.jsonl` holds the
    /// task's `train …` records (`frugal run --predict --out`), predicted beside it.
    static func training(_ runs: [ReportInput.MeasuredRun], predictions: [PredictionRecord]) -> ReportSection {
        var section = ReportSection(
            id: "training", title: "Training steps",
            explanation: "Train tasks: the step's loss (mean cross-entropy of the whole batch) over the steps, and where each rank's "
                + "step goes by op kind of its program (F, B, W, optimizer, the all-to-alls, grad-sync, param-gather; pipeline: "
                + "blocked on a pipeline transfer; other: the rest of the wall time), the median over the steps; predicted bars "
                + "are the simulator's (frugal run --predict).")
        let series = lossSeries(runs)
        guard !series.isEmpty else {
            section.absent.append("no train tasks in these results")
            return section
        }
        let loss = XYChart(title: "Loss over steps", xAxis: ChartAxis(title: "step (count)"),
                           yAxis: ChartAxis(title: "loss (nats per token)", includeZero: false), series: series)
        section.figures.append(loss.svg(id: "training-loss"))
        for (index, breakdown) in stepBreakdowns(runs, predictions: predictions).prefix(6).enumerated() {
            let chart = BarChart(title: breakdown.title, categories: breakdown.categories,
                                 series: breakdown.kinds.enumerated().map { offset, kind in
                                     BarChart.Series(name: kind.name, values: kind.values, colorIndex: ChartPalette.seriesColorIndex(offset))
                                 },
                                 layout: .stacked, valueAxis: ChartAxis(title: "time per step (seconds)"), categoryTitle: "rank")
            section.figures.append(chart.svg(id: "training-breakdown-\(index)"))
        }
        if !predictions.contains(where: { $0.kind?.hasPrefix(TrainStepRecord.predictionKindPrefix) ?? false }) {
            section.absent.append("no predicted train steps in these results (frugal run --predict --out writes them)")
        }
        return section
    }

    /// One loss line per run and train task: the lowest rank's loss at each step, in step order.
    static func lossSeries(_ runs: [ReportInput.MeasuredRun]) -> [ChartSeries] {
        var series: [ChartSeries] = []
        for run in runs {
            for task in uniqueOrdered(run.training.map(\.task)) {
                let records = run.training.filter { $0.task == task }
                let lowest = records.map(\.rank).min() ?? 0
                let steps = records.filter { $0.rank == lowest && $0.loss.isFinite }.sorted { $0.step < $1.step }
                guard !steps.isEmpty else { continue }
                let ranks = records.first?.ranks ?? 1
                series.append(ChartSeries(name: "\(task) (\(run.point.id), \(ranks) rank\(ranks == 1 ? "" : "s"))", points: steps.map {
                    .init(x: Double($0.step), y: $0.loss, note: "step \($0.step): loss \(ReportNumber.text($0.loss))")
                }, colorIndex: ChartPalette.seriesColorIndex(series.count)))
            }
        }
        return series
    }

    /// One stacked bar chart's data: per rank a measured bar (and a predicted one when there are
    /// predictions), per op kind a value per bar.
    struct StepBreakdown: Equatable {
        struct Kind: Equatable {
            var name: String
            var values: [Double?]
        }
        var title: String
        var categories: [String]
        var kinds: [Kind]
    }

    /// The step breakdowns of every run's train tasks. Measured kinds are the medians over the
    /// steps of `secondsByKind`; `other` is the median wall time past the kinds' sum.
    static func stepBreakdowns(_ runs: [ReportInput.MeasuredRun], predictions: [PredictionRecord]) -> [StepBreakdown] {
        var result: [StepBreakdown] = []
        for run in runs {
            for task in uniqueOrdered(run.training.map(\.task)) {
                let records = run.training.filter { $0.task == task }
                var bars: [(category: String, seconds: [String: Double])] = []
                for rank in Set(records.map(\.rank)).sorted() {
                    let mine = records.filter { $0.rank == rank }
                    var measured: [String: Double] = [:]
                    for kind in Set(mine.flatMap(\.secondsByKind.keys)) {
                        measured[kind] = Statistics.median(mine.map { $0.secondsByKind[kind] ?? 0 })
                    }
                    let other = Statistics.median(mine.map { $0.wallSeconds - $0.secondsByKind.values.reduce(0, +) }) ?? 0
                    if other > 0 { measured["other"] = other }
                    bars.append(("rank \(rank) measured", measured))
                    var predicted: [String: Double] = [:]
                    for record in predictions where record.task == task && record.rank == rank {
                        let prefix = TrainStepRecord.predictionKindPrefix
                        guard let kind = record.kind, kind.hasPrefix(prefix) else { continue }
                        let name = String(kind.dropFirst(prefix.count))
                        if name != TrainStepRecord.stepKind { predicted[name] = record.predictedSeconds }
                    }
                    if !predicted.isEmpty { bars.append(("rank \(rank) predicted", predicted)) }
                }
                let names = orderedKinds(bars.flatMap(\.seconds.keys))
                let ranks = records.first?.ranks ?? 1
                result.append(StepBreakdown(
                    title: "Step by op kind: \(task) (\(run.point.id), \(ranks) rank\(ranks == 1 ? "" : "s"))",
                    categories: bars.map(\.category),
                    kinds: names.map { name in StepBreakdown.Kind(name: name, values: bars.map { $0.seconds[name] }) }))
            }
        }
        return result
    }

    /// Op kinds in stacking order: the program's kinds in ``OperationName`` order, pipeline, the
    /// rest by name, other last.
    static func orderedKinds(_ kinds: [String]) -> [String] {
        let unique = Set(kinds)
        let known = TrainStepRecord.kindOrder.filter(unique.contains)
        let last = ["other"].filter(unique.contains)
        return known + unique.subtracting(known + last).sorted() + last
    }
}
