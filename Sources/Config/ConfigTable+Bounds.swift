import Foundation

/// Bounded accessors: every number a decoder reads goes through one of these, so a value that
/// would overflow a product, exhaust memory or trap a conversion downstream is an error at the
/// key that holds it ("Bounds at the edge" in DESIGN.md). The message names the key and the
/// bound: `tasks[0].m: expected an integer in 1...2147483647, found 9223372036854775807`.
extension ConfigTable {
    // MARK: Scalars

    /// An integer in `range`. With `default`, a missing key gives the default (not checked).
    public func int(_ key: String, in range: ClosedRange<Int>, default defaultValue: Int? = nil) throws(ConfigError) -> Int {
        let value = try int(key, default: defaultValue)
        guard range.contains(value) else {
            throw error(key, expected: "an integer in \(Bound.describe(range))", found: "\(value)")
        }
        return value
    }

    /// An integer in `range`, or nil when the key is absent.
    public func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        contains(key) ? try int(key, in: range) : nil
    }

    /// A finite number in `range`. With `default`, a missing key gives the default (not checked).
    public func double(_ key: String, in range: ClosedRange<Double>, default defaultValue: Double? = nil) throws(ConfigError) -> Double {
        let value = try double(key, default: defaultValue)
        guard range.contains(value) else {
            throw error(key, expected: "a number in \(Bound.describe(range))", found: Bound.describe(value))
        }
        return value
    }

    /// A finite number in `range`, or nil when the key is absent.
    public func optionalDouble(_ key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double? {
        contains(key) ? try double(key, in: range) : nil
    }

    // MARK: Arrays

    /// An array of at most `maxCount` integers, each in `range`; nil when absent.
    public func intArray(_ key: String, in range: ClosedRange<Int>, maxCount: Int) throws(ConfigError) -> [Int]? {
        guard let values = try intArray(key) else { return nil }
        try checkCount(values.count, key: key, maxCount: maxCount)
        for (index, value) in values.enumerated() where !range.contains(value) {
            throw document.error(at: path + [.key(key), .index(index)],
                                 expected: "an integer in \(Bound.describe(range))", found: "\(value)")
        }
        return values
    }

    /// An array of at most `maxCount` finite numbers, each in `range`; nil when absent.
    public func doubleArray(_ key: String, in range: ClosedRange<Double>, maxCount: Int) throws(ConfigError) -> [Double]? {
        guard let values = try doubleArray(key) else { return nil }
        try checkCount(values.count, key: key, maxCount: maxCount)
        for (index, value) in values.enumerated() where !range.contains(value) {
            throw document.error(at: path + [.key(key), .index(index)],
                                 expected: "a number in \(Bound.describe(range))", found: Bound.describe(value))
        }
        return values
    }

    /// An array of at most `maxCount` integer arrays, every element in `range`; empty when absent.
    public func intArrays(_ key: String, in range: ClosedRange<Int>, maxCount: Int) throws(ConfigError) -> [[Int]] {
        let rows = try intArrays(key)
        try checkCount(rows.count, key: key, maxCount: maxCount)
        for (index, row) in rows.enumerated() {
            for (position, value) in row.enumerated() where !range.contains(value) {
                throw document.error(at: path + [.key(key), .index(index), .index(position)],
                                     expected: "an integer in \(Bound.describe(range))", found: "\(value)")
            }
        }
        return rows
    }

    private func checkCount(_ count: Int, key: String, maxCount: Int) throws(ConfigError) {
        guard count <= maxCount else {
            throw error(key, expected: "at most \(maxCount) values", found: "\(count) values")
        }
    }

    // MARK: Products

    /// The product of `factors` (named, for the message), or an error at `key` when it overflows
    /// or exceeds `limit`: `expected m × k at most 2147483647 (MPI's count limit), found
    /// 100000 × 100000 = 10000000000`.
    public func checkedProduct(_ factors: [(name: String, value: Int)], key: String, atMost limit: Int,
                               reason: String) throws(ConfigError) -> Int {
        let names = factors.map(\.name).joined(separator: " × ")
        let values = factors.map { "\($0.value)" }.joined(separator: " × ")
        var product = 1
        var overflow = false
        for factor in factors {
            let (next, didOverflow) = product.multipliedReportingOverflow(by: factor.value)
            if didOverflow { overflow = true; break }
            product = next
        }
        guard !overflow, product <= limit else {
            let result = overflow ? "more than \(Int.max)" : "\(product)"
            throw error(key, expected: "\(names) at most \(limit) (\(reason))", found: "\(values) = \(result)")
        }
        return product
    }
}

/// How bounds read in messages.
public enum Bound {
    /// `1...1048576`.
    public static func describe(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound)...\(range.upperBound)" }

    /// `0.001...1000000`.
    public static func describe(_ range: ClosedRange<Double>) -> String {
        "\(describe(range.lowerBound))...\(describe(range.upperBound))"
    }

    /// A number as short as it reads exactly: `1000000`, `0.001`, `1e-300`, `nan`.
    public static func describe(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return "\(Int(value))" }
        return "\(value)"
    }
}
