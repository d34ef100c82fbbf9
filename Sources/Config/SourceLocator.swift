import Foundation

/// Finds the line and column of a key in TOML text. TOMLKit does not keep source positions of
/// values, so this scans the text: table headers (`[a.b]`, `[[tasks]]`, counted per name) and
/// `key = value` lines inside them. It understands the layouts config files use (one key per
/// line, headers on their own line); for anything else it returns nil and the message carries
/// the key path alone.
struct SourceLocator: Sendable {
    private struct Line: Sendable {
        var number: Int
        var header: String?        // "tasks" for [tasks] or [[tasks]]
        var isArrayHeader = false
        var key: String?
        var keyColumn = 1
    }
    private let lines: [Line]

    init(text: String) {
        var parsed: [Line] = []
        // "\r\n" is one Character in Swift, so splitting on "\n" alone would keep a CRLF file
        // as one line; TOML allows both line endings.
        let rawLines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (offset, raw) in rawLines.enumerated() {
            let leading = raw.prefix(while: { $0 == " " || $0 == "\t" }).count
            let content = raw.dropFirst(leading)
            var line = Line(number: offset + 1)
            if content.hasPrefix("[[") {
                line.header = Self.headerName(content.dropFirst(2).prefix(while: { $0 != "]" }))
                line.isArrayHeader = true
            } else if content.hasPrefix("[") {
                line.header = Self.headerName(content.dropFirst(1).prefix(while: { $0 != "]" }))
            } else if let equals = content.firstIndex(of: "="), !content.hasPrefix("#") {
                var key = content[..<equals].trimmingCharacters(in: .whitespaces)
                if key.hasPrefix("\"") && key.hasSuffix("\"") && key.count >= 2 {
                    key = String(key.dropFirst().dropLast())
                }
                line.key = key
                line.keyColumn = leading + 1
            }
            parsed.append(line)
        }
        lines = parsed
    }

    private static func headerName(_ name: Substring) -> String {
        name.trimmingCharacters(in: .whitespaces)
    }

    /// Line and column of the key at `path`, or of the table header when the path names a table.
    func position(of path: [KeyPathComponent]) -> (line: Int, column: Int)? {
        if let position = keyPosition(path[...]) { return position }
        // An element of an inline array (`counts[2]`, `shapes[1][0]`) is on its key's line.
        var keyEnd = path.count
        while keyEnd > 1, case .index = path[keyEnd - 1] { keyEnd -= 1 }
        guard keyEnd < path.count else { return nil }
        return keyPosition(path[..<keyEnd])
    }

    private func keyPosition(_ path: ArraySlice<KeyPathComponent>) -> (line: Int, column: Int)? {
        // Split the path into the table part (keys and array indices) and the final key.
        var tableName: [String] = []
        var arrayIndex: Int?
        var finalKey: String?
        for (i, component) in path.enumerated() {
            switch component {
            case .key(let key):
                if i == path.count - 1 { finalKey = key } else { tableName.append(key) }
            case .index(let index):
                arrayIndex = index
            }
        }
        let header = tableName.joined(separator: ".")
        // The section: lines after the matching header up to the next header.
        var sectionStart = 0
        if !header.isEmpty {
            var seen = 0
            guard let start = lines.firstIndex(where: { line in
                guard line.header == header else { return false }
                if let arrayIndex, line.isArrayHeader {
                    defer { seen += 1 }
                    return seen == arrayIndex
                }
                return true
            }) else {
                // Maybe the final key is itself a table header: [model] for path "model".
                return nil
            }
            if finalKey == nil { return (lines[start].number, 1) }
            sectionStart = start + 1
        }
        if let finalKey {
            for line in lines[sectionStart...] {
                if line.header != nil { break }
                if line.key == finalKey { return (line.number, line.keyColumn) }
            }
            // A key naming a whole table: [header.finalKey] or [[header.finalKey]].
            let nested = header.isEmpty ? finalKey : "\(header).\(finalKey)"
            if let line = lines.first(where: { $0.header == nested }) { return (line.number, 1) }
        }
        return nil
    }
}
