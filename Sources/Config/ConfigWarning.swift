/// Something in a configuration file that still works but should change: today, a key that was
/// renamed so that each concept has one spelling across job, model and cluster files.
///
/// Decoders collect warnings (they never print); the command that read the file prints each
/// one's `description` once on standard error, e.g.
/// `Cluster/jobs/old.toml:9:1: tasks[0].experts: 'experts' is deprecated, use 'routedExperts'`.
public struct ConfigWarning: Sendable, Equatable, CustomStringConvertible {
    /// The file as the user named it.
    public var file: String
    /// 1-based line and column of the old key, when known.
    public var line: Int?
    public var column: Int?
    /// Key path of the old key, e.g. `tasks[0].experts`.
    public var keyPath: String
    /// The spelling found in the file.
    public var oldKey: String
    /// The spelling to use instead.
    public var newKey: String

    public init(file: String, line: Int? = nil, column: Int? = nil, keyPath: String, oldKey: String, newKey: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.oldKey = oldKey
        self.newKey = newKey
    }

    public var description: String {
        var place = file
        if let line {
            place += ":\(line)"
            if let column { place += ":\(column)" }
        }
        return "\(place): \(keyPath): '\(oldKey)' is deprecated, use '\(newKey)' (the old key still works for now)"
    }
}

/// The warnings of one decoding, at most one per old key of a file (a job whose ten tasks all
/// say `experts` gets one message, at the first of them).
public struct ConfigWarnings: Sendable, Equatable {
    /// In the order they were found.
    public private(set) var all: [ConfigWarning] = []

    public init() {}

    /// Adds `warning` unless the same old key of the same file was already reported.
    public mutating func add(_ warning: ConfigWarning) {
        guard !all.contains(where: { $0.file == warning.file && $0.oldKey == warning.oldKey }) else { return }
        all.append(warning)
    }

    /// Whether nothing was reported.
    public var isEmpty: Bool { all.isEmpty }
}

extension ConfigTable {
    /// The spelling of a renamed key that this table uses: `new`, or `old` when only the old
    /// spelling is present (adding a deprecation warning). Both in one table is an error, as the
    /// two could disagree.
    public func renamedKey(_ new: String, old: String, warnings: inout ConfigWarnings) throws(ConfigError) -> String {
        guard contains(old) else { return new }
        guard !contains(new) else {
            throw error(old, expected: "either '\(new)' or its deprecated spelling '\(old)', not both",
                        found: "both", hint: "remove '\(old)'")
        }
        let place = document.locator.position(of: path + [.key(old)])
        warnings.add(ConfigWarning(file: document.file, line: place?.line, column: place?.column,
                                   keyPath: KeyPathComponent.render(path + [.key(old)]), oldKey: old, newKey: new))
        return old
    }
}
