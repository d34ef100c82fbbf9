import Foundation

/// The rows as a table: the same columns, in the same order, with the same number text, in
/// `points.csv`, the page's `<table id="points">` and `summary.md`; `points.json` holds the
/// rows themselves.
public struct PointsTable: Sendable {
    public let points: [ReportPoint]
    /// Column names: identity, then ``ReportPoint/numericColumns``, then `breakdown.<part>` for every part present.
    public let columns: [String]

    static let textColumns = ["id", "mode", "series", "label", "scaling", "chipType", "parallel", "settings", "oversubscribed",
                              "throughputUnit", "fits"]

    public init(points: [ReportPoint]) {
        self.points = points
        let parts = ReportCharts.orderedParts(points.flatMap { $0.breakdown.keys })
        columns = Self.textColumns + ReportPoint.numericColumns + parts.map { "breakdown.\($0)" }
    }

    /// The text of one cell.
    public func cell(_ point: ReportPoint, _ column: String) -> String {
        switch column {
        case "id": return point.id
        case "mode": return point.mode.rawValue
        case "series": return point.series
        case "label": return point.label
        case "scaling": return point.scaling ?? ""
        case "chipType": return point.chipType ?? ""
        case "parallel": return point.parallel ?? ""
        case "settings": return point.settings ?? ""
        case "oversubscribed": return point.oversubscribed ? "true" : "false"
        case "throughputUnit": return point.throughputUnit
        case "fits": return point.fits.map { $0 ? "true" : "false" } ?? ""
        case "ranks", "chips", "runs": return point.number(column).map { Int(exactly: $0).map(String.init) ?? ReportNumber.text($0) } ?? ""
        default: return ReportNumber.text(point.number(column))
        }
    }

    /// RFC 4180 CSV with a header line.
    public var csv: String {
        func quoted(_ field: String) -> String {
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }
        var text = columns.map(quoted).joined(separator: ",") + "\n"
        for point in points { text += columns.map { quoted(cell(point, $0)) }.joined(separator: ",") + "\n" }
        return text
    }

    /// `{"points": [ … ]}`, keys sorted.
    public func json() throws -> Data {
        struct Document: Encodable { var points: [ReportPoint] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(Document(points: points))
    }

    /// An HTML `<table id="points">`, cells escaped.
    public var html: String {
        var text = "<table id=\"points\">\n<thead><tr>" + columns.map { "<th>\(SVGDocument.escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for point in points {
            text += "<tr" + (point.oversubscribed ? " class=\"oversubscribed\"" : "") + ">"
                + columns.map { "<td>\(SVGDocument.escape(cell(point, $0)))</td>" }.joined() + "</tr>\n"
        }
        return text + "</tbody>\n</table>"
    }

    /// A Markdown table.
    public var markdown: String {
        func escaped(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
        var text = "| " + columns.joined(separator: " | ") + " |\n"
        text += "|" + columns.map { _ in "---" }.joined(separator: "|") + "|\n"
        for point in points { text += "| " + columns.map { escaped(cell(point, $0)) }.joined(separator: " | ") + " |\n" }
        return text
    }
}
