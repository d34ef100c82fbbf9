/// A configuration file that cannot be used, said the way a person fixes it: which file, where
/// in it (line and column when known), which key, what was expected and what was found.
///
/// `description` is one line, e.g.
/// `Cluster/jobs/demo.toml:7:1: tasks[1].m: expected a positive integer, found -4`.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file as the user named it.
    public var file: String
    /// 1-based line, when the place is known.
    public var line: Int?
    /// 1-based column, when the place is known.
    public var column: Int?
    /// Dotted key path with array indices, e.g. `tasks[1].sharding`; empty for the whole file.
    public var keyPath: String
    /// What the key must hold, e.g. "a positive integer".
    public var expected: String
    /// What the file holds instead, e.g. "-4".
    public var found: String
    /// A suggestion (the nearest valid key, a value that would work), when there is one.
    public var hint: String?

    public init(file: String, line: Int? = nil, column: Int? = nil, keyPath: String,
                expected: String, found: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.expected = expected
        self.found = found
        self.hint = hint
    }

    public var description: String {
        var place = file
        if let line {
            place += ":\(line)"
            if let column { place += ":\(column)" }
        }
        var text = keyPath.isEmpty ? "\(place): " : "\(place): \(keyPath): "
        text += "expected \(expected), found \(found)"
        if let hint { text += " (\(hint))" }
        return text
    }
}
