import TOMLKit

/// A table of a ``ConfigDocument`` read key by key. Every accessor knows the key path it reads,
/// so a wrong type, a value out of range or an unknown key becomes a ``ConfigError`` that names
/// file, line, key path, expected and found values.
public struct ConfigTable {
    let table: TOMLTable
    /// Where this table sits in the document.
    public let path: [KeyPathComponent]
    /// The document this table belongs to.
    public let document: ConfigDocument

    /// The keys present, in file order.
    public var keys: [String] { table.keys }

    /// Whether `key` is present.
    public func contains(_ key: String) -> Bool { table[key] != nil }

    /// Whether `key` holds an array (for keys that take one value or a list).
    public func isArray(_ key: String) -> Bool { table[key]?.type == .array }

    /// Rejects keys other than `allowed` and `deprecated`, suggesting the nearest allowed key
    /// (deprecated spellings are accepted but never suggested).
    public func rejectUnknownKeys(allowed: [String], deprecated: [String] = []) throws(ConfigError) {
        for key in table.keys where !allowed.contains(key) && !deprecated.contains(key) {
            let nearest = allowed.min { editDistance(key, $0) < editDistance(key, $1) }
            var hint: String?
            if let nearest, editDistance(key, nearest) <= max(2, key.count / 3) {
                hint = "did you mean '\(nearest)'?"
            } else {
                hint = "valid keys: \(allowed.joined(separator: ", "))"
            }
            throw document.error(at: path + [.key(key)], expected: "a known key", found: "unknown key '\(key)'", hint: hint)
        }
    }

    /// An error about `key` in this table (for checks that need several values).
    public func error(_ key: String?, expected: String, found: String, hint: String? = nil) -> ConfigError {
        document.error(at: key.map { path + [.key($0)] } ?? path, expected: expected, found: found, hint: hint)
    }

    // MARK: Scalars

    /// An integer. With `default`, a missing key gives the default; without, it is an error.
    public func int(_ key: String, default defaultValue: Int? = nil) throws(ConfigError) -> Int {
        guard let value = table[key] else { return try missing(key, defaultValue, expected: "an integer") }
        guard value.type == .int, let int = value.int else {
            throw error(key, expected: "an integer", found: describe(value))
        }
        return int
    }

    /// An integer ≥ 1.
    public func positiveInt(_ key: String, default defaultValue: Int? = nil) throws(ConfigError) -> Int {
        let value = try int(key, default: defaultValue)
        guard value >= 1 else { throw error(key, expected: "a positive integer", found: "\(value)") }
        return value
    }

    /// An integer ≥ 0.
    public func nonNegativeInt(_ key: String, default defaultValue: Int? = nil) throws(ConfigError) -> Int {
        let value = try int(key, default: defaultValue)
        guard value >= 0 else { throw error(key, expected: "an integer ≥ 0", found: "\(value)") }
        return value
    }

    /// A finite number; integers are accepted as numbers. `nan` and `inf` are errors.
    public func double(_ key: String, default defaultValue: Double? = nil) throws(ConfigError) -> Double {
        guard let value = table[key] else { return try missing(key, defaultValue, expected: "a number") }
        return try finiteNumber(value, at: path + [.key(key)])
    }

    /// A number > 0.
    public func positiveDouble(_ key: String, default defaultValue: Double? = nil) throws(ConfigError) -> Double {
        let value = try double(key, default: defaultValue)
        guard value > 0, value.isFinite else { throw error(key, expected: "a positive number", found: "\(value)") }
        return value
    }

    /// A string.
    public func string(_ key: String, default defaultValue: String? = nil) throws(ConfigError) -> String {
        guard let value = table[key] else { return try missing(key, defaultValue, expected: "a string") }
        guard value.type == .string, let string = value.string else {
            throw error(key, expected: "a string", found: describe(value))
        }
        return string
    }

    /// A boolean.
    public func bool(_ key: String, default defaultValue: Bool? = nil) throws(ConfigError) -> Bool {
        guard let value = table[key] else { return try missing(key, defaultValue, expected: "true or false") }
        guard value.type == .bool, let bool = value.bool else {
            throw error(key, expected: "true or false", found: describe(value))
        }
        return bool
    }

    /// One of an enumeration's raw values.
    public func choice<Choice: RawRepresentable & CaseIterable>(
        _ key: String, default defaultValue: Choice? = nil
    ) throws(ConfigError) -> Choice where Choice.RawValue == String {
        let options = Choice.allCases.map { "'\($0.rawValue)'" }.joined(separator: " | ")
        guard table[key] != nil else { return try missing(key, defaultValue, expected: "one of \(options)") }
        let raw = try string(key)
        guard let value = Choice(rawValue: raw) else {
            let nearest = Choice.allCases.map(\.rawValue).min { editDistance(raw, $0) < editDistance(raw, $1) }
            throw error(key, expected: "one of \(options)", found: "'\(raw)'",
                        hint: nearest.map { "did you mean '\($0)'?" })
        }
        return value
    }

    /// An array of integers.
    public func intArray(_ key: String) throws(ConfigError) -> [Int]? {
        guard let value = table[key] else { return nil }
        guard value.type == .array, let array = value.array else {
            throw error(key, expected: "an array of integers", found: describe(value))
        }
        var result: [Int] = []
        for index in 0..<array.count {
            let element = array[index]
            guard element.type == .int, let int = element.int else {
                throw document.error(at: path + [.key(key), .index(index)], expected: "an integer", found: describe(element))
            }
            result.append(int)
        }
        return result
    }

    /// An array of numbers (integers accepted), or nil when absent.
    public func doubleArray(_ key: String) throws(ConfigError) -> [Double]? {
        guard let value = table[key] else { return nil }
        guard value.type == .array, let array = value.array else {
            throw error(key, expected: "an array of numbers", found: describe(value))
        }
        var result: [Double] = []
        for index in 0..<array.count {
            result.append(try finiteNumber(array[index], at: path + [.key(key), .index(index)]))
        }
        return result
    }

    /// An array of integer arrays (`[[1, 2, 3], [4, 5, 6]]`), empty when absent.
    public func intArrays(_ key: String) throws(ConfigError) -> [[Int]] {
        guard let value = table[key] else { return [] }
        guard value.type == .array, let array = value.array else {
            throw error(key, expected: "an array of integer arrays", found: describe(value))
        }
        var result: [[Int]] = []
        for index in 0..<array.count {
            let element = array[index]
            guard element.type == .array, let inner = element.array else {
                throw document.error(at: path + [.key(key), .index(index)], expected: "an array of integers", found: describe(element))
            }
            var row: [Int] = []
            for position in 0..<inner.count {
                guard inner[position].type == .int, let int = inner[position].int else {
                    throw document.error(at: path + [.key(key), .index(index), .index(position)], expected: "an integer",
                                         found: describe(inner[position]))
                }
                row.append(int)
            }
            result.append(row)
        }
        return result
    }

    // MARK: Tables

    /// A sub-table, or nil when absent.
    public func table(_ key: String) throws(ConfigError) -> ConfigTable? {
        guard let value = table[key] else { return nil }
        guard value.type == .table, let sub = value.table else {
            throw error(key, expected: "a table", found: describe(value))
        }
        return ConfigTable(table: sub, path: path + [.key(key)], document: document)
    }

    /// An array of tables (`[[key]]`), empty when absent.
    public func tableArray(_ key: String) throws(ConfigError) -> [ConfigTable] {
        guard let value = table[key] else { return [] }
        guard value.type == .array, let array = value.array else {
            throw error(key, expected: "an array of tables ([[\(key)]])", found: describe(value))
        }
        var result: [ConfigTable] = []
        for index in 0..<array.count {
            let element = array[index]
            guard element.type == .table, let sub = element.table else {
                throw document.error(at: path + [.key(key), .index(index)], expected: "a table", found: describe(element))
            }
            result.append(ConfigTable(table: sub, path: path + [.key(key), .index(index)], document: document))
        }
        return result
    }

    // MARK: Helpers

    /// A TOML integer or float as a finite `Double`, or an error at `at`.
    private func finiteNumber(_ value: TOMLValueConvertible, at location: [KeyPathComponent]) throws(ConfigError) -> Double {
        let number: Double
        switch value.type {
        case .double: number = value.double ?? .nan
        case .int: number = Double(value.int ?? 0)
        default: throw document.error(at: location, expected: "a number", found: describe(value))
        }
        guard number.isFinite else { throw document.error(at: location, expected: "a finite number", found: "\(number)") }
        return number
    }

    private func missing<Value>(_ key: String, _ defaultValue: Value?, expected: String) throws(ConfigError) -> Value {
        if let defaultValue { return defaultValue }
        throw error(key, expected: expected, found: "nothing (the key is required)")
    }
}

/// How a TOML value reads in an error message: its type and, for scalars, its value.
func describe(_ value: TOMLValueConvertible) -> String {
    switch value.type {
    case .string: return "the string \"\(value.string ?? "")\""
    case .int: return "the integer \(value.int ?? 0)"
    case .double: return "the number \(value.double ?? 0)"
    case .bool: return "\(value.bool ?? false)"
    case .array: return "an array"
    case .table: return "a table"
    case .date, .time, .dateTime: return "a date or time"
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
