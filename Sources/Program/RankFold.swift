/// Identical data-parallel replicas simulated once. Ranks are numbered stage by stage
/// (``RankLayout``); a stage's columns fall in units of lcm(ep, tp) — whole expert- and
/// tensor-parallel groups, which exchange only with their own unit until the data-parallel
/// collectives that end the step. Units whose ranks have the same compute slowdowns and
/// pipeline links of the same reach (same node, leaf, pod) at every stage have identical timelines, so one unit
/// per class of alike units is lowered and run, and stands for the rest of its class. When
/// every expert-parallel index does the same work (uniform expert load) and every unit is alike,
/// the unit can be `tp` columns. A straggler makes its unit a class of its own; a straggler on
/// every unit leaves nothing to fold.
///
/// The fold is a covering of the group structure: every real group's members are alike to the
/// members of one kept group, a kept collective starts when its kept members arrive (so at the
/// latest arrival of the real group), and a pipeline transfer keeps its column. A folded program
/// numbers its columns 0..<``keptColumns``; ``realColumn(_:)`` maps back.
public struct RankFold: Sendable, Equatable {
    /// Ranks per stage of the real layout.
    public let columns: Int
    /// Columns per unit.
    public let unit: Int
    /// Per class, the unit that stands for it (ascending), and how many units it stands for.
    public let keptUnits: [Int]
    public let weights: [Int]
    /// Per unit of the real layout, its class (an index into ``keptUnits``).
    public let classOfUnit: [Int]
    /// Tensor- and expert-parallel degrees of the real layout.
    public let tp: Int, ep: Int

    /// A fold of `columns` per stage in units of `unit` columns (dividing `columns`, a multiple
    /// of `tp`, dividing or a multiple of `ep`), each unit in the class `classOfUnit` gives; a
    /// class's first unit stands for it.
    public init?(columns: Int, unit: Int, classOfUnit: [Int], tp: Int, ep: Int) {
        guard unit >= 1, tp >= 1, ep >= 1, columns >= unit, columns % unit == 0, unit % tp == 0, unit % ep == 0 || ep % unit == 0,
              classOfUnit.count == columns / unit else { return nil }
        var kept: [Int] = [], weights: [Int] = []
        for (unit, index) in classOfUnit.enumerated() {
            guard index >= 0, index <= kept.count else { return nil }   // classes numbered in order of first unit
            if index == kept.count { kept.append(unit); weights.append(0) }
            weights[index] += 1
        }
        self.columns = columns
        self.unit = unit
        self.keptUnits = kept
        self.weights = weights
        self.classOfUnit = classOfUnit
        self.tp = tp
        self.ep = ep
    }

    /// Columns kept per stage.
    public var keptColumns: Int { keptUnits.count * unit }

    /// The real column of kept column `column`.
    @inline(__always)
    public func realColumn(_ column: Int) -> Int { keptUnits[column / unit] * unit + column % unit }

    /// The kept column standing for real column `column` (itself, or its unit's class's).
    public func keptColumn(ofReal column: Int) -> Int? {
        guard classOfUnit.indices.contains(column / unit) else { return nil }
        return classOfUnit[column / unit] * unit + column % unit
    }

    /// Real columns kept column `column` stands for.
    public func weight(ofKeptColumn column: Int) -> Int { weights[column / unit] }

    /// Members of a data-parallel group (same tensor-parallel index) the program keeps.
    public var keptDataParallelMembers: Int { keptColumns / tp }
    /// Members of an expert-data-parallel group (same experts) the program keeps.
    public var keptExpertDataParallelMembers: Int { unit % ep == 0 ? keptColumns / ep : keptUnits.count }
    /// Members of an expert-parallel group (an all-to-all) the program keeps.
    public var keptExpertParallelMembers: Int { min(unit, ep) }

    /// The fold of `layout` that leaves every rank's timeline as it is, or nil when it would keep
    /// every rank: units of `tp` when every expert-parallel index does the same work
    /// (`expertsAlike`) and all units are alike, else units of lcm(ep, tp) in classes.
    /// `distance(a, b)` says how far apart two real ranks sit (the cluster's fabric: same node,
    /// same leaf, same pod…; by default same node or not), which prices a pipeline transfer.
    public static func exact(layout: RankLayout, slowdown: [Double], expertsAlike: Bool,
                             distance: ((Int, Int) -> Int)? = nil) -> RankFold? {
        let distance = distance ?? { layout.sameNode($0, $1) ? 0 : 1 }
        if expertsAlike, layout.tp < leastCommonMultiple(layout.ep, layout.tp),
           let narrow = classes(layout, slowdown: slowdown, unit: layout.tp, distance: distance), narrow.keptUnits.count == 1,
           narrow.sameExpertGroupShapes(layout) {
            return narrow
        }
        guard let fold = classes(layout, slowdown: slowdown, unit: leastCommonMultiple(layout.ep, layout.tp), distance: distance),
              fold.keptColumns < layout.columns else { return nil }
        return fold
    }

    /// Units of `unit` columns grouped by what sets a timeline apart: each rank's slowdown and
    /// how far its pipeline links to every other stage reach.
    static func classes(_ layout: RankLayout, slowdown: [Double], unit: Int, distance: (Int, Int) -> Int) -> RankFold? {
        guard unit >= 1, layout.columns % unit == 0 else { return nil }
        let units = layout.columns / unit
        let links = layout.pp > 1
        var classOf: [[Double]: Int] = [:]
        var classOfUnit: [Int] = []
        classOfUnit.reserveCapacity(units)
        for u in 0..<units {
            var signature: [Double] = []
            signature.reserveCapacity(layout.pp * unit * (links ? layout.pp + 1 : 1))
            for stage in 0..<layout.pp {
                for column in (u * unit)..<((u + 1) * unit) {
                    let rank = layout.rank(stage: stage, column: column)
                    signature.append(rank < slowdown.count ? slowdown[rank] : 1)
                    guard links else { continue }
                    for other in 0..<layout.pp where other != stage {
                        signature.append(Double(distance(rank, layout.rank(stage: other, column: column))))
                    }
                }
            }
            // Same position in the unit: the same expert-parallel and tensor-parallel indices.
            if let known = classOf[signature] {
                classOfUnit.append(known)
            } else {
                classOf[signature] = classOf.count
                classOfUnit.append(classOf.count - 1)
            }
        }
        return RankFold(columns: layout.columns, unit: unit, classOfUnit: classOfUnit, tp: layout.tp, ep: layout.ep)
    }

    /// Whether every column's expert-data-parallel group has the shape of its kept column's
    /// (needed when a unit is narrower than an expert-parallel group).
    func sameExpertGroupShapes(_ layout: RankLayout) -> Bool {
        (0..<layout.pp).allSatisfy { stage in
            (0..<layout.columns).allSatisfy { column in
                layout.expertDataParallelShape(stage: stage, column: column)
                    == layout.expertDataParallelShape(stage: stage, column: column % unit)
            }
        }
    }

    static func leastCommonMultiple(_ a: Int, _ b: Int) -> Int {
        var x = max(1, a), y = max(1, b)
        while y != 0 { (x, y) = (y, x % y) }
        return max(1, a) / x * max(1, b)
    }
}
