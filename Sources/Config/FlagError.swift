/// A command-line flag whose value Frugal does not accept: the one error of the flag layer, for
/// the commands and for the runtime's checks that need the job (`--fail-rank` on fewer ranks).
///
/// `description` is one line: `--ranks: expected an integer in 1...1048576, found 0` for a value
/// out of its bounds, or `--fail-rank 5: expected a rank in 0...1 (…)` when the value is right in
/// itself but does not fit the job.
public struct FlagError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The flag as typed, e.g. `--fail-rank`.
    public var flag: String
    /// The value given, when the message leads with it (a value that does not fit the job).
    public var value: String?
    /// What the flag must hold.
    public var expected: String
    /// What it holds instead, when the message ends with it.
    public var found: String?

    /// `flag: expected …, found …`.
    public init(flag: String, expected: String, found: String) {
        self.flag = flag
        self.expected = expected
        self.found = found
    }

    /// `flag value: expected …`.
    public init(flag: String, value: String, expected: String) {
        self.flag = flag
        self.value = value
        self.expected = expected
    }

    public var description: String {
        if let value { return "\(flag) \(value): expected \(expected)" + (found.map { ", found \($0)" } ?? "") }
        return "\(flag): expected \(expected), found \(found ?? "nothing")"
    }
}
