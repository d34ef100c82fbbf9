import Foundation
import TOMLKit

/// A parsed TOML configuration file: its name, its text (kept to point at lines) and its root
/// table, read through ``ConfigTable`` so that every error names the key path.
public struct ConfigDocument: Sendable {
    /// The file as the user named it (used in messages).
    public let file: String
    /// The file's text.
    public let text: String
    let locator: SourceLocator

    /// The root table.
    public var root: ConfigTable {
        get throws(ConfigError) {
            do {
                return ConfigTable(table: try TOMLTable(string: text), path: [], document: self)
            } catch {
                // Parsed successfully in `init`, so this does not happen.
                throw ConfigError(file: file, keyPath: "", expected: "valid TOML", found: "\(error)")
            }
        }
    }

    /// Reads and parses `path`.
    public init(contentsOfFile path: String) throws(ConfigError) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigError(file: path, keyPath: "", expected: "an existing file", found: "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, keyPath: "", expected: "a readable file", found: "a file that cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, keyPath: "", expected: "UTF-8 text", found: "bytes that are not UTF-8")
        }
        try self.init(text: text, file: path)
    }

    /// Parses `text`, naming it `file` in messages.
    public init(text: String, file: String) throws(ConfigError) {
        self.file = file
        self.text = text
        self.locator = SourceLocator(text: text)
        if let problem = TOMLPreflight.firstProblem(in: text) {
            throw ConfigError(file: file, line: problem.line, column: problem.column, keyPath: "", expected: "valid TOML",
                              found: "a syntax error: \(problem.rule), saw '\(problem.found)'")
        }
        do {
            _ = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, column: error.source.begin.column,
                              keyPath: "", expected: "valid TOML", found: "a syntax error: \(error.description)")
        } catch {
            throw ConfigError(file: file, keyPath: "", expected: "valid TOML", found: "\(error)")
        }
    }

    /// An error at `path`, with the line and column of that key when it can be found in the text.
    func error(at path: [KeyPathComponent], expected: String, found: String, hint: String? = nil) -> ConfigError {
        let position = locator.position(of: path)
        return ConfigError(file: file, line: position?.line, column: position?.column,
                           keyPath: KeyPathComponent.render(path), expected: expected, found: found, hint: hint)
    }
}

/// One step of a key path: a table key or an index into an array.
public enum KeyPathComponent: Sendable, Equatable {
    case key(String)
    case index(Int)

    /// `tasks[1].m`.
    public static func render(_ path: [KeyPathComponent]) -> String {
        var text = ""
        for component in path {
            switch component {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}
