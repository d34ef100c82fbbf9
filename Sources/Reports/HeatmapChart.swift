import Foundation

/// A grid of values coloured on a sequential scale: rows top to bottom, columns left to right,
/// with a colour bar. The per-expert load heatmap has one row per step and one column per expert.
public struct HeatmapChart: Sendable {
    public var title: String
    /// `values[row][column]`.
    public var values: [[Double]]
    public var rowTitle: String
    public var columnTitle: String
    /// Labels of the rows (e.g. step numbers) and the unit of the values (for the colour bar).
    public var rowLabels: [String]
    public var valueTitle: String
    public var width = 760.0

    public init(title: String, values: [[Double]], rowTitle: String, columnTitle: String, rowLabels: [String], valueTitle: String) {
        self.title = title
        self.values = values
        self.rowTitle = rowTitle
        self.columnTitle = columnTitle
        self.rowLabels = rowLabels
        self.valueTitle = valueTitle
    }

    public func svg(id: String) -> String {
        let left = 84.0, right = 24.0, top = 40.0, bottom = 96.0
        let rows = values.count, columns = values.map(\.count).max() ?? 0
        let plotWidth = width - left - right
        let cellHeight = max(4, min(24, 360 / Double(max(1, rows))))
        let plotHeight = cellHeight * Double(max(1, rows))
        var svg = SVGDocument(width: width, height: top + plotHeight + bottom)
        let all = values.flatMap { $0 }.filter(\.isFinite)
        let low = all.min() ?? 0, high = all.max() ?? 1
        let span = high > low ? high - low : 1
        let cellWidth = plotWidth / Double(max(1, columns))

        svg.text(title, x: width / 2, y: 22, anchor: "middle", size: 15, weight: "bold", className: "chart-title")
        svg.open([("class", "cells")])
        for (row, rowValues) in values.enumerated() {
            for (column, value) in rowValues.enumerated() {
                let label = rowLabels[safe: row] ?? "\(row)"
                svg.rect(x: left + Double(column) * cellWidth, y: top + Double(row) * cellHeight, width: cellWidth + 0.3,
                         height: cellHeight + 0.3, fill: ChartPalette.sequential((value - low) / span),
                         title: "\(rowTitle) \(label), \(columnTitle) \(column): \(ChartAxis.compact(value)) \(valueTitle)")
            }
        }
        svg.close()
        svg.rect(x: left, y: top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#666666")
        // Row labels (at most ~12) and column ticks.
        let rowStride = max(1, rows / 12)
        for row in stride(from: 0, to: rows, by: rowStride) {
            svg.text(rowLabels[safe: row] ?? "\(row)", x: left - 6, y: top + (Double(row) + 0.5) * cellHeight + 4, anchor: "end", size: 10)
        }
        let columnStride = max(1, Int((Double(columns) / 16).rounded(.up)))
        for column in stride(from: 0, to: columns, by: columnStride) {
            svg.text("\(column)", x: left + (Double(column) + 0.5) * cellWidth, y: top + plotHeight + 14, anchor: "middle", size: 10)
        }
        svg.text(columnTitle, x: left + plotWidth / 2, y: top + plotHeight + 32, anchor: "middle", size: 12, className: "axis-title")
        svg.text(rowTitle, x: 18, y: top + plotHeight / 2, anchor: "middle", size: 12, rotate: -90, className: "axis-title")
        // Colour bar.
        let barTop = top + plotHeight + 48, barWidth = 240.0, steps = 24
        for step in 0..<steps {
            svg.rect(x: left + Double(step) * barWidth / Double(steps), y: barTop, width: barWidth / Double(steps) + 0.3, height: 12,
                     fill: ChartPalette.sequential(Double(step) / Double(steps - 1)))
        }
        svg.text(ChartAxis.compact(low), x: left, y: barTop + 26, anchor: "start", size: 10)
        svg.text(ChartAxis.compact(high), x: left + barWidth, y: barTop + 26, anchor: "end", size: 10)
        svg.text(valueTitle, x: left + barWidth + 12, y: barTop + 10, size: 11, className: "legend-entry")
        return svg.rendered(title: title, id: id)
    }
}
