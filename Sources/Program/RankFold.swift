/// Identical data-parallel replicas simulated once. Ranks are numbered stage by stage
/// (``RankLayout``); within a stage, columns `c` and `c + period` (period = lcm(ep, tp)) hold the
/// same experts, the same tensor-parallel index and the same groups' shapes, so when their
/// slowdowns and their pipeline links match, their timelines are identical and only the first
/// `period` columns of every stage need to be lowered and run. The fold is a covering of the
/// group structure: a kept expert-parallel group is a whole group, a kept data-parallel group
/// holds one member per class of the real group, and a pipeline transfer keeps its column.
///
/// A folded program numbers its ranks `stage · period + column`; ``realRank(_:)`` maps back.
public struct RankFold: Sendable, Equatable {
    /// Ranks per stage of the real layout.
    public let columns: Int
    /// Columns kept per stage.
    public let period: Int

    /// A fold of `columns` per stage to `period`, which must divide `columns`.
    public init?(columns: Int, period: Int) {
        guard period >= 1, columns >= period, columns % period == 0 else { return nil }
        self.columns = columns
        self.period = period
    }

    /// Real ranks each kept rank stands for.
    public var factor: Int { columns / period }

    /// The real rank a folded rank is.
    @inline(__always)
    public func realRank(_ folded: Int) -> Int { folded / period * columns + folded % period }

    /// The folded rank standing for a real rank.
    @inline(__always)
    public func foldedRank(_ real: Int) -> Int { real / columns * period + real % columns % period }

    /// The fold of `layout` that leaves every rank's timeline as it is, or nil when none saves
    /// anything: period lcm(ep, tp), taken only when every rank's compute `slowdown` equals its
    /// representative's and every pipeline link (same node or not) between two stages is the
    /// representative's.
    public static func exact(layout: RankLayout, slowdown: [Double]) -> RankFold? {
        let period = leastCommonMultiple(layout.ep, layout.tp)
        guard period < layout.columns, let fold = RankFold(columns: layout.columns, period: period) else { return nil }
        for rank in 0..<min(slowdown.count, layout.ranks) where slowdown[rank] != slowdown[fold.representative(rank)] {
            return nil
        }
        // Stages a whole number of nodes apart never share a node, whatever the column.
        guard layout.columns % layout.gpusPerNode != 0, layout.pp > 1 else { return fold }
        for a in 0..<layout.pp {
            for b in 0..<layout.pp where b != a {
                for column in 0..<layout.columns {
                    let kept = column % period
                    if layout.sameNode(layout.rank(stage: a, column: column), layout.rank(stage: b, column: column))
                        != layout.sameNode(layout.rank(stage: a, column: kept), layout.rank(stage: b, column: kept)) {
                        return nil
                    }
                }
            }
        }
        return fold
    }

    /// The real rank whose timeline `real`'s equals under the fold.
    func representative(_ real: Int) -> Int { realRank(foldedRank(real)) }

    static func leastCommonMultiple(_ a: Int, _ b: Int) -> Int {
        var x = max(1, a), y = max(1, b)
        while y != 0 { (x, y) = (y, x % y) }
        return max(1, a) / x * max(1, b)
    }
}
