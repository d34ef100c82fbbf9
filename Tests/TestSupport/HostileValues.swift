import Foundation

/// Hostile numbers written as TOML, and a small builder of TOML documents whose keys a test
/// overrides one at a time. Shared by the decoder tests of several modules (TestSupport target).
public enum Hostile {
    /// Every absurd value a number key may meet.
    public static let values = ["9223372036854775807", "-9223372036854775808", "-1", "0", "1e308", "1e-300", "nan", "inf", "-inf"]

    /// One case per (key, hostile value), leaving out the values a key legitimately accepts.
    public static func cases(_ keys: [String], accepting accepted: [String: Set<String>] = [:]) -> [Case] {
        keys.flatMap { key in values.filter { !(accepted[key]?.contains($0) ?? false) }.map { Case(key: key, value: $0) } }
    }

    /// `key` (`section/key` for a key in a section, the section as written in its header line)
    /// set to `value`.
    public struct Case: CustomStringConvertible, Sendable {
        public var key: String
        public var value: String
        public var description: String { "\(key) = \(value)" }
    }
}

/// A TOML document as ordered sections, each a header line (empty for the root) and ordered keys.
public struct TOMLSketch: Sendable {
    public var sections: [(header: String, keys: [(String, String)])]

    public init(sections: [(header: String, keys: [(String, String)])]) { self.sections = sections }

    /// The text with `section/key` (or a root `key`) set to `value`, added when absent.
    public func setting(_ path: String, to value: String) -> String { with(path, value).text }

    /// This sketch with `section/key` (or a root `key`) set to `value`, added when absent.
    public func with(_ path: String, _ value: String) -> TOMLSketch {
        var sections = self.sections
        let parts = path.split(separator: "/").map(String.init)
        let header = parts.count == 2 ? parts[0] : "", key = parts.last ?? path
        let index = sections.firstIndex { $0.header == header } ?? {
            sections.append((header, []))
            return sections.count - 1
        }()
        if let position = sections[index].keys.firstIndex(where: { $0.0 == key }) {
            sections[index].keys[position].1 = value
        } else {
            sections[index].keys.append((key, value))
        }
        return TOMLSketch(sections: sections)
    }

    public var text: String {
        sections.map { section in
            (section.header.isEmpty ? "" : section.header + "\n") + section.keys.map { "\($0.0) = \($0.1)\n" }.joined()
        }.joined(separator: "\n")
    }

    /// The key path a decoder names for `section/key`: `[[tasks]]/m` → `tasks[0].m`,
    /// `[tasks.generate]/count` → `tasks[0].generate.count`, `[constraints]/x` → `constraints.x`.
    public static func keyPath(_ path: String) -> String {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count == 2 else { return path }
        var table = parts[0].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if table == "tasks" || table.hasPrefix("tasks.") { table = "tasks[0]" + table.dropFirst("tasks".count) }
        return table + "." + parts[1]
    }
}
