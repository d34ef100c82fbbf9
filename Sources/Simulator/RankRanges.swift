/// Ranks given on the command line as `0-15,32,40-41` (`--slow-ranks`, `--trace-ranks`), kept as
/// ranges and checked against the rank count before any of them is expanded, so a range like
/// `0-9223372036854775806` is an error, never a huge array.
public struct RankRanges: Sendable, Equatable {
    /// The ranges, sorted and merged (no two overlap or touch); every rank lies in `0..<rankCount`.
    public private(set) var ranges: [ClosedRange<Int>]
    /// The ranks that exist (the cluster's GPUs).
    public let rankCount: Int

    /// Parses `text` given to `flag` and checks every rank against `0..<rankCount`; the error
    /// names the flag, the part that is wrong and the bound.
    public init(parsing text: String, flag: String, rankCount: Int) throws(SimulationError) {
        self.rankCount = rankCount
        var parsed: [ClosedRange<Int>] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            let range: ClosedRange<Int>
            if bounds.count == 1, let a = bounds[0], a >= 0 {
                range = a...a
            } else if bounds.count == 2, let a = bounds[0], let b = bounds[1], a >= 0, a <= b {
                range = a...b
            } else {
                throw SimulationError("\(flag): '\(part)' is not a rank or a range like 0-15 (ranks are integers ≥ 0, a range goes upwards)")
            }
            guard range.upperBound < rankCount else {
                throw SimulationError("\(flag): rank \(range.upperBound) in '\(part)' does not exist: the ranks are 0...\(rankCount - 1)")
            }
            parsed.append(range)
        }
        ranges = Self.merged(parsed)
    }

    /// Sorted ranges with overlapping or adjacent ones joined.
    static func merged(_ ranges: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// Every rank once, ascending (at most `rankCount` of them).
    public var ranks: [Int] { ranges.flatMap { Array($0) } }

    /// How many ranks the ranges hold.
    public var count: Int { ranges.reduce(0) { $0 + $1.count } }

    /// Whether `rank` is one of them.
    public func contains(_ rank: Int) -> Bool { ranges.contains { $0.contains(rank) } }

    /// The ranks `0-15` names on a cluster of `rankCount` ranks (fewer when it is smaller): the
    /// default of `--trace-ranks`.
    public static func first(_ count: Int, of rankCount: Int) -> RankRanges {
        RankRanges(ranges: rankCount > 0 && count > 0 ? [0...(min(count, rankCount) - 1)] : [], rankCount: rankCount)
    }

    private init(ranges: [ClosedRange<Int>], rankCount: Int) {
        self.ranges = ranges
        self.rankCount = rankCount
    }

    /// The ranges as `0-15,32`.
    public var description: String {
        ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
    }
}
