/// Identical data-parallel replicas simulated once. Ranks are numbered stage by stage
/// (``RankLayout``); within a stage, columns `c` and `c + period` (period = lcm(ep, tp)) hold the
/// same experts, the same tensor-parallel index and the same groups' shapes, so when their
/// slowdowns and their pipeline links match, their timelines are identical and only the first
/// `period` columns of every stage need to be lowered and run. When every expert-parallel index
/// does the same work (uniform expert load) the period can be `tp`. The fold is a covering of the
/// group structure: every real group's members are alike to members of one kept group, a kept
/// collective starts when its kept members arrive, and a pipeline transfer keeps its column.
///
/// A folded program numbers its ranks `stage · period + column`; ``realRank(_:)`` maps back.
public struct RankFold: Sendable, Equatable {
    /// Ranks per stage of the real layout.
    public let columns: Int
    /// Columns kept per stage.
    public let period: Int
    /// Tensor- and expert-parallel degrees of the real layout.
    public let tp: Int, ep: Int

    /// A fold of `columns` per stage to `period`, which must divide `columns`, be a multiple of
    /// `tp`, and divide or be a multiple of `ep`.
    public init?(columns: Int, period: Int, tp: Int, ep: Int) {
        guard period >= 1, tp >= 1, ep >= 1, columns >= period, columns % period == 0, period % tp == 0,
              period % ep == 0 || ep % period == 0 else { return nil }
        self.columns = columns
        self.period = period
        self.tp = tp
        self.ep = ep
    }

    /// Real ranks each kept rank stands for.
    public var factor: Int { columns / period }

    /// Members of a data-parallel group (same tensor-parallel index) the program keeps.
    public var keptDataParallelMembers: Int { period / tp }
    /// Members of an expert-data-parallel group (same experts) the program keeps.
    public var keptExpertDataParallelMembers: Int { period % ep == 0 ? period / ep : 1 }
    /// Members of an expert-parallel group (an all-to-all) the program keeps.
    public var keptExpertParallelMembers: Int { min(period, ep) }

    /// The real rank a folded rank is.
    @inline(__always)
    public func realRank(_ folded: Int) -> Int { folded / period * columns + folded % period }

    /// The folded rank standing for a real rank.
    @inline(__always)
    public func foldedRank(_ real: Int) -> Int { real / columns * period + real % columns % period }

    /// The fold of `layout` that leaves every rank's timeline as it is, or nil when none saves
    /// anything. Period `tp` when every expert-parallel index has the same work
    /// (`expertsAlike`: uniform expert load) and every expert-data-parallel group has the same
    /// shape, else lcm(ep, tp); taken only when every rank's compute `slowdown` equals its
    /// representative's and every pipeline link (same node or not) between two stages is the
    /// representative's.
    public static func exact(layout: RankLayout, slowdown: [Double], expertsAlike: Bool) -> RankFold? {
        let narrow = expertsAlike ? RankFold(columns: layout.columns, period: layout.tp, tp: layout.tp, ep: layout.ep) : nil
        let candidates = [narrow, RankFold(columns: layout.columns, period: leastCommonMultiple(layout.ep, layout.tp), tp: layout.tp, ep: layout.ep)]
        for case let fold? in candidates where fold.period < layout.columns && fold.keeps(layout, slowdown: slowdown) {
            return fold
        }
        return nil
    }

    /// Whether every rank of `layout` has its representative's slowdown, pipeline links and
    /// expert-data-parallel group shape.
    func keeps(_ layout: RankLayout, slowdown: [Double]) -> Bool {
        for rank in 0..<min(slowdown.count, layout.ranks) where slowdown[rank] != slowdown[representative(rank)] {
            return false
        }
        if period < ep {
            for stage in 0..<layout.pp {
                for column in 0..<layout.columns where layout.expertDataParallelShape(stage: stage, column: column)
                    != layout.expertDataParallelShape(stage: stage, column: column % period) {
                    return false
                }
            }
        }
        // Stages a whole number of nodes apart never share a node, whatever the column.
        guard layout.columns % layout.gpusPerNode != 0, layout.pp > 1 else { return true }
        for a in 0..<layout.pp {
            for b in 0..<layout.pp where b != a {
                for column in 0..<layout.columns {
                    let kept = column % period
                    if layout.sameNode(layout.rank(stage: a, column: column), layout.rank(stage: b, column: column))
                        != layout.sameNode(layout.rank(stage: a, column: kept), layout.rank(stage: b, column: kept)) {
                        return false
                    }
                }
            }
        }
        return true
    }

    /// The real rank whose timeline `real`'s equals under the fold.
    func representative(_ real: Int) -> Int { realRank(foldedRank(real)) }

    static func leastCommonMultiple(_ a: Int, _ b: Int) -> Int {
        var x = max(1, a), y = max(1, b)
        while y != 0 { (x, y) = (y, x % y) }
        return max(1, a) / x * max(1, b)
    }
}
