import Foundation

/// A line/scatter chart of series over two numeric axes (linear or log), with ticks, grid,
/// axis titles and a legend. Throughput, efficiency and predicted-vs-measured are all XY charts.
public struct XYChart: Sendable {
    public var title: String
    public var xAxis: ChartAxis
    public var yAxis: ChartAxis
    public var series: [ChartSeries]
    /// A line under the legend (e.g. "hollow markers: oversubscribed").
    public var footnote: String?
    public var width = 760.0
    public var plotHeight = 340.0

    public init(title: String, xAxis: ChartAxis, yAxis: ChartAxis, series: [ChartSeries], footnote: String? = nil) {
        self.title = title
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.series = series
        self.footnote = footnote
    }

    /// The chart as a standalone `<svg>` element with the given element id.
    public func svg(id: String) -> String {
        let left = 84.0, right = 24.0, top = 40.0, bottom = 58.0
        let legendEntries = series.map { entry in
            ChartLegend.Entry(name: entry.name, color: ChartPalette.color(entry.colorIndex),
                              swatch: entry.style == .dashedLine ? .dashed : entry.style == .markers ? .marker : .line)
        }
        let legendHeight = ChartLegend.height(legendEntries) + (footnote == nil ? 0 : 18)
        var svg = SVGDocument(width: width, height: top + plotHeight + bottom + legendHeight)
        let plotWidth = width - left - right
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        let xLayout = xAxis.layout(xs), yLayout = yAxis.layout(ys)
        func position(_ value: Double, _ layout: (low: Double, high: Double, ticks: [Double]), _ axis: ChartAxis) -> Double {
            switch axis.scale {
            case .linear: return (value - layout.low) / (layout.high - layout.low)
            case .log: return (log10(value) - log10(layout.low)) / (log10(layout.high) - log10(layout.low))
            }
        }
        func px(_ x: Double) -> Double { left + position(x, xLayout, xAxis) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - position(y, yLayout, yAxis) * plotHeight }

        svg.text(title, x: width / 2, y: 22, anchor: "middle", size: 15, weight: "bold", className: "chart-title")
        // Grid and ticks.
        svg.open([("class", "grid")])
        for tick in yLayout.ticks {
            svg.line(x1: left, y1: py(tick), x2: left + plotWidth, y2: py(tick), stroke: "#e3e3e3")
            svg.text(ChartAxis.compact(tick) + yAxis.tickSuffix, x: left - 6, y: py(tick) + 4, anchor: "end", size: 11)
        }
        for tick in xLayout.ticks {
            svg.line(x1: px(tick), y1: top, x2: px(tick), y2: top + plotHeight, stroke: "#eeeeee")
            svg.text(ChartAxis.compact(tick) + xAxis.tickSuffix, x: px(tick), y: top + plotHeight + 16, anchor: "middle", size: 11)
        }
        svg.close()
        svg.rect(x: left, y: top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#666666")
        svg.text(xAxis.title + (xAxis.scale == .log ? " — log scale" : ""), x: left + plotWidth / 2, y: top + plotHeight + 40,
                 anchor: "middle", size: 12, className: "axis-title")
        svg.text(yAxis.title + (yAxis.scale == .log ? " — log scale" : ""), x: 18, y: top + plotHeight / 2,
                 anchor: "middle", size: 12, rotate: -90, className: "axis-title")

        // Series.
        for entry in series {
            let color = ChartPalette.color(entry.colorIndex)
            let visible = entry.points.filter {
                $0.x.isFinite && $0.y.isFinite && (xAxis.scale == .linear || $0.x > 0) && (yAxis.scale == .linear || $0.y > 0)
            }.sorted { $0.x < $1.x }
            svg.open([("class", "series"), ("data-series", entry.name)])
            switch entry.style {
            case .lineWithMarkers, .dashedLine:
                if visible.count > 1 {
                    svg.polyline(visible.map { (px($0.x), py($0.y)) }, stroke: color, width: 2,
                                 dash: entry.style == .dashedLine ? "6,5" : nil)
                }
            case .markers: break
            }
            if entry.style != .dashedLine {
                for point in visible {
                    let tooltip = point.note ?? "\(entry.name): x = \(ChartAxis.compact(point.x)), y = \(ChartAxis.compact(point.y))"
                    svg.circle(cx: px(point.x), cy: py(point.y), r: 4.5, fill: point.hollow ? "#ffffff" : color, stroke: color,
                               title: tooltip, className: "point")
                }
            }
            svg.close()
        }
        let legendTop = top + plotHeight + bottom
        ChartLegend(entries: legendEntries).draw(into: &svg, x: left, y: legendTop, width: plotWidth)
        if let footnote {
            svg.text(footnote, x: left, y: legendTop + ChartLegend.height(legendEntries) + 12, size: 11, className: "footnote")
        }
        return svg.rendered(title: title, id: id)
    }
}
