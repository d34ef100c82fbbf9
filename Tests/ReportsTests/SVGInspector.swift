import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses one `<svg>` element as XML and collects what tests look for: its text nodes, its
/// `data-series` names and how many elements of each name it has.
final class SVGInspector: NSObject, XMLParserDelegate {
    private(set) var texts: [String] = []
    private(set) var seriesNames: [String] = []
    private(set) var elementCounts: [String: Int] = [:]
    private(set) var classCounts: [String: Int] = [:]
    private var currentText = ""

    /// Parses `svg`; returns nil (with the parser's error) when it is not well-formed XML.
    static func inspect(_ svg: String) -> (inspector: SVGInspector?, error: String?) {
        let parser = XMLParser(data: Data(svg.utf8))
        let inspector = SVGInspector()
        parser.delegate = inspector
        guard parser.parse() else { return (nil, parser.parserError.map { "\($0)" } ?? "parse failed at line \(parser.lineNumber)") }
        return (inspector, nil)
    }

    /// Every `<svg …>…</svg>` in an HTML page.
    static func svgElements(in html: String) -> [String] {
        var result: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            result.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return result
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elementCounts[elementName, default: 0] += 1
        if let series = attributes["data-series"] { seriesNames.append(series) }
        if let className = attributes["class"] { classCounts[className, default: 0] += 1 }
        currentText = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { currentText += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        if elementName == "text" { texts.append(currentText) }
        currentText = ""
    }
}
