/// A legend drawn under a chart's plot area: one swatch and name per entry, in columns.
struct ChartLegend {
    enum Swatch { case line, dashed, marker, box }

    struct Entry {
        var name: String
        var color: String
        var swatch: Swatch
    }

    var entries: [Entry]
    static let rowHeight = 18.0

    /// Columns: three for short names, fewer for long ones so names never overlap.
    static func columns(_ entries: [Entry]) -> Int {
        let longest = entries.map(\.name.count).max() ?? 0
        return longest > 60 ? 1 : longest > 34 ? 2 : 3
    }

    /// Height the legend needs for `entries`.
    static func height(_ entries: [Entry]) -> Double {
        let columns = columns(entries)
        return entries.isEmpty ? 0 : Double((entries.count + columns - 1) / columns) * rowHeight + 8
    }

    func draw(into svg: inout SVGDocument, x: Double, y: Double, width: Double) {
        guard !entries.isEmpty else { return }
        svg.open([("class", "legend")])
        let columns = Self.columns(entries)
        let columnWidth = width / Double(columns)
        for (index, entry) in entries.enumerated() {
            let left = x + Double(index % columns) * columnWidth
            let middle = y + Double(index / columns) * Self.rowHeight + 9
            switch entry.swatch {
            case .line:
                svg.line(x1: left, y1: middle, x2: left + 22, y2: middle, stroke: entry.color, width: 2)
                svg.circle(cx: left + 11, cy: middle, r: 3, fill: entry.color, stroke: entry.color)
            case .dashed:
                svg.line(x1: left, y1: middle, x2: left + 22, y2: middle, stroke: entry.color, width: 2, dash: "5,4")
            case .marker:
                svg.circle(cx: left + 11, cy: middle, r: 4, fill: entry.color, stroke: entry.color)
            case .box:
                svg.rect(x: left + 4, y: middle - 6, width: 14, height: 12, fill: entry.color)
            }
            svg.text(entry.name, x: left + 28, y: middle + 4, size: 11, className: "legend-entry")
        }
        svg.close()
    }
}
