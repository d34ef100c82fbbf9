import Foundation

/// A tiny SVG writer: elements are appended as text with every attribute value and text node
/// escaped, so the result is well-formed XML (it is inlined into HTML and parsed by tests).
struct SVGDocument {
    private(set) var body = ""
    let width: Double
    let height: Double

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Escapes `&`, `<`, `>`, `"` and `'`.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A number as an attribute value: two decimals, no exponent.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return String(format: "%.2f", value)
    }

    private static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    /// An empty element, e.g. `<line …/>`, with an optional `<title>` tooltip.
    mutating func element(_ name: String, _ attributes: [(String, String)], title: String? = nil) {
        if let title {
            body += "<\(name)\(Self.attributes(attributes))><title>\(Self.escape(title))</title></\(name)>\n"
        } else {
            body += "<\(name)\(Self.attributes(attributes))/>\n"
        }
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
        var pairs = [("x1", Self.number(x1)), ("y1", Self.number(y1)), ("x2", Self.number(x2)), ("y2", Self.number(y2)),
                     ("stroke", stroke), ("stroke-width", Self.number(width))]
        if let dash { pairs.append(("stroke-dasharray", dash)) }
        element("line", pairs)
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil, title: String? = nil, className: String? = nil) {
        var pairs = [("x", Self.number(x)), ("y", Self.number(y)), ("width", Self.number(max(0, width))),
                     ("height", Self.number(max(0, height))), ("fill", fill)]
        if let stroke { pairs.append(("stroke", stroke)) }
        if let className { pairs.append(("class", className)) }
        element("rect", pairs, title: title)
    }

    mutating func circle(cx: Double, cy: Double, r: Double, fill: String, stroke: String, title: String? = nil, className: String? = nil) {
        var pairs = [("cx", Self.number(cx)), ("cy", Self.number(cy)), ("r", Self.number(r)), ("fill", fill),
                     ("stroke", stroke), ("stroke-width", "1.5")]
        if let className { pairs.append(("class", className)) }
        element("circle", pairs, title: title)
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2, dash: String? = nil, className: String? = nil) {
        let text = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        var pairs = [("points", text), ("fill", "none"), ("stroke", stroke), ("stroke-width", Self.number(width))]
        if let dash { pairs.append(("stroke-dasharray", dash)) }
        if let className { pairs.append(("class", className)) }
        element("polyline", pairs)
    }

    /// Text; `anchor` is `start`, `middle` or `end`; `rotate` in degrees about (x, y).
    mutating func text(_ content: String, x: Double, y: Double, anchor: String = "start", size: Double = 12,
                       weight: String? = nil, rotate: Double? = nil, className: String? = nil) {
        var pairs = [("x", Self.number(x)), ("y", Self.number(y)), ("text-anchor", anchor), ("font-size", Self.number(size))]
        if let weight { pairs.append(("font-weight", weight)) }
        if let rotate { pairs.append(("transform", "rotate(\(Self.number(rotate)) \(Self.number(x)) \(Self.number(y)))")) }
        if let className { pairs.append(("class", className)) }
        body += "<text\(Self.attributes(pairs))>\(Self.escape(content))</text>\n"
    }

    /// Opens a group (`<g>`) with attributes; close it with ``close()``.
    mutating func open(_ attributes: [(String, String)]) {
        body += "<g\(Self.attributes(attributes))>\n"
    }

    mutating func close() { body += "</g>\n" }

    /// The whole `<svg>` element, with an accessible title.
    func rendered(title: String, id: String) -> String {
        let header = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(Self.escape(id))\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" font-family=\"sans-serif\" role=\"img\">\n"
        return header + "<title>\(Self.escape(title))</title>\n" + "<rect x=\"0\" y=\"0\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" fill=\"#ffffff\"/>\n" + body + "</svg>"
    }
}
