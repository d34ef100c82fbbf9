import Foundation

/// Bars over named categories: grouped (one bar per series side by side) or stacked (series
/// on top of each other, e.g. the parts of a step). Values per series are given by category.
public struct BarChart: Sendable {
    public enum Layout: Sendable { case grouped, stacked }

    /// One series: a value (or none) for each category, in category order.
    public struct Series: Sendable {
        public var name: String
        public var values: [Double?]
        public var colorIndex: Int

        public init(name: String, values: [Double?], colorIndex: Int) {
            self.name = name
            self.values = values
            self.colorIndex = colorIndex
        }
    }

    public var title: String
    public var categories: [String]
    public var series: [Series]
    public var layout: Layout
    /// The value axis (vertical); its title carries the unit.
    public var valueAxis: ChartAxis
    public var categoryTitle: String
    public var footnote: String?
    public var width = 760.0
    public var plotHeight = 320.0

    public init(title: String, categories: [String], series: [Series], layout: Layout, valueAxis: ChartAxis,
                categoryTitle: String, footnote: String? = nil) {
        self.title = title
        self.categories = categories
        self.series = series
        self.layout = layout
        self.valueAxis = valueAxis
        self.categoryTitle = categoryTitle
        self.footnote = footnote
    }

    public func svg(id: String) -> String {
        let longest = categories.map(\.count).max() ?? 0
        let rotateLabels = categories.count > 4 || longest > 14
        let left = 84.0, right = 24.0, top = 40.0
        let bottom = rotateLabels ? min(240, 40 + Double(longest) * 5.6) : 58
        let legend = series.map { ChartLegend.Entry(name: $0.name, color: ChartPalette.color($0.colorIndex), swatch: .box) }
        let legendHeight = ChartLegend.height(legend) + (footnote == nil ? 0 : 18)
        var svg = SVGDocument(width: width, height: top + plotHeight + bottom + legendHeight)
        let plotWidth = width - left - right

        let extents: [Double]
        switch layout {
        case .grouped: extents = series.flatMap { $0.values.compactMap { $0 } }
        case .stacked:
            extents = categories.indices.map { index in series.reduce(0) { $0 + max(0, ($1.values[safe: index] ?? nil) ?? 0) } }
        }
        let axisLayout = valueAxis.layout(extents + (valueAxis.scale == .linear ? [0] : []))
        func py(_ value: Double) -> Double {
            let fraction: Double
            switch valueAxis.scale {
            case .linear: fraction = (value - axisLayout.low) / (axisLayout.high - axisLayout.low)
            case .log: fraction = (log10(max(value, axisLayout.low)) - log10(axisLayout.low)) / (log10(axisLayout.high) - log10(axisLayout.low))
            }
            return top + plotHeight - fraction * plotHeight
        }

        svg.text(title, x: width / 2, y: 22, anchor: "middle", size: 15, weight: "bold", className: "chart-title")
        svg.open([("class", "grid")])
        for tick in axisLayout.ticks {
            svg.line(x1: left, y1: py(tick), x2: left + plotWidth, y2: py(tick), stroke: "#e3e3e3")
            svg.text(ChartAxis.compact(tick) + valueAxis.tickSuffix, x: left - 6, y: py(tick) + 4, anchor: "end", size: 11)
        }
        svg.close()
        svg.text(valueAxis.title + (valueAxis.scale == .log ? " — log scale" : ""), x: 18, y: top + plotHeight / 2,
                 anchor: "middle", size: 12, rotate: -90, className: "axis-title")

        let slot = plotWidth / Double(max(1, categories.count))
        let barArea = slot * 0.72
        let base = valueAxis.scale == .log ? axisLayout.low : 0
        for (categoryIndex, category) in categories.enumerated() {
            let slotLeft = left + Double(categoryIndex) * slot
            var stackTop = base
            for (seriesIndex, entry) in series.enumerated() {
                guard let value = entry.values[safe: categoryIndex] ?? nil, value.isFinite else { continue }
                let color = ChartPalette.color(entry.colorIndex)
                let tooltip = "\(category) — \(entry.name): \(ChartAxis.compact(value))"
                switch layout {
                case .grouped:
                    let barWidth = barArea / Double(max(1, series.count))
                    let x = slotLeft + (slot - barArea) / 2 + Double(seriesIndex) * barWidth
                    svg.rect(x: x, y: py(value), width: barWidth - 1, height: py(base) - py(value), fill: color,
                             title: tooltip, className: "bar")
                case .stacked:
                    let bottomValue = stackTop
                    stackTop += max(0, value)
                    svg.rect(x: slotLeft + (slot - barArea) / 2, y: py(stackTop), width: barArea,
                             height: py(bottomValue) - py(stackTop), fill: color, title: tooltip, className: "bar")
                }
            }
            let labelX = slotLeft + slot / 2, labelY = top + plotHeight + 14
            if rotateLabels {
                svg.text(category, x: labelX + 3, y: labelY - 6, anchor: "end", size: 10, rotate: -90, className: "category")
            } else {
                svg.text(category, x: labelX, y: labelY, anchor: "middle", size: 11, className: "category")
            }
        }
        svg.rect(x: left, y: top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#666666")
        svg.text(categoryTitle, x: left + plotWidth / 2, y: top + plotHeight + bottom - 8, anchor: "middle", size: 12, className: "axis-title")
        let legendTop = top + plotHeight + bottom
        ChartLegend(entries: legend).draw(into: &svg, x: left, y: legendTop, width: plotWidth)
        if let footnote {
            svg.text(footnote, x: left, y: legendTop + ChartLegend.height(legend) + 12, size: 11, className: "footnote")
        }
        return svg.rendered(title: title, id: id)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
