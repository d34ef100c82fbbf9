/// Which rank holds which parallel coordinate: the one place that numbers ranks.
///
/// rank = stage·(dp·tp) + column; column = dpIndex·tp + tpIndex. Tensor-parallel groups are `tp`
/// consecutive ranks; an expert-parallel group is `ep` consecutive columns of one stage (experts
/// are sharded over data-parallel replicas); node = rank / gpusPerNode.
public struct RankLayout: Sendable, Equatable {
    public let tp: Int, pp: Int, ep: Int, dp: Int
    public let gpusPerNode: Int

    public init(tp: Int, pp: Int, ep: Int, dp: Int, gpusPerNode: Int) {
        self.tp = max(1, tp); self.pp = max(1, pp); self.ep = max(1, ep); self.dp = max(1, dp)
        self.gpusPerNode = max(1, gpusPerNode)
    }

    /// A rank's coordinates.
    public struct Coordinates: Sendable, Equatable, Codable {
        public var stage: Int, column: Int, dpIndex: Int, tpIndex: Int, epIndex: Int
        /// Expert-parallel group index over the whole cluster.
        public var epGroup: Int
        public var node: Int
    }

    /// Ranks of one stage.
    public var columns: Int { dp * tp }
    /// All ranks.
    public var ranks: Int { pp * columns }
    /// Expert-parallel groups per stage.
    public var expertGroupsPerStage: Int { columns / ep }

    /// The coordinates of `rank`.
    public func coordinates(of rank: Int) -> Coordinates {
        let stage = rank / columns, column = rank % columns
        return Coordinates(stage: stage, column: column, dpIndex: column / tp, tpIndex: column % tp, epIndex: column % ep,
                           epGroup: stage * expertGroupsPerStage + column / ep, node: rank / gpusPerNode)
    }

    /// The rank at `stage`, `column`.
    public func rank(stage: Int, column: Int) -> Int { stage * columns + column }

    /// The data-parallel group of the rank at (`stage`, `column`): the ranks of its stage with the
    /// same tensor-parallel index (stride tp), which synchronise its non-expert weights.
    public func dataParallelGroup(stage: Int, column: Int) -> [Int] {
        let tpIndex = column % tp
        return (0..<dp).map { rank(stage: stage, column: $0 * tp + tpIndex) }
    }

    /// The expert-data-parallel group of the rank at (`stage`, `column`): the ranks of its stage at
    /// the same place of the other expert-parallel groups (stride ep), which hold the same experts.
    public func expertDataParallelGroup(stage: Int, column: Int) -> [Int] {
        (0..<expertGroupsPerStage).map { rank(stage: stage, column: column % ep + $0 * ep) }
    }

    /// A group's placement: members, nodes spanned and the most members on one node.
    public struct GroupShape: Sendable, Equatable {
        public var members: Int
        public var nodes: Int
        public var perNode: Int
    }

    /// The placement of the group of `ranks` (any order).
    public func shape(of ranks: [Int]) -> GroupShape {
        let sorted = zip(ranks, ranks.dropFirst()).allSatisfy { $0 <= $1 } ? ranks : ranks.sorted()
        var nodes = 0, perNode = 0, run = 0, last = Int.min
        for rank in sorted {
            let node = rank / gpusPerNode
            if node != last { nodes += 1; run = 0; last = node }
            run += 1
            perNode = max(perNode, run)
        }
        return GroupShape(members: ranks.count, nodes: nodes, perNode: max(1, perNode))
    }

    /// The placement of the `count` ranks `first`, `first + stride`, …: in constant time when the
    /// stride divides or exceeds a node (every group this layout makes on usual nodes), else by
    /// walking the members. A 98,304-rank layout asks for one shape per rank.
    public func shape(first: Int, stride: Int, count: Int) -> GroupShape {
        let g = gpusPerNode, last = first + (count - 1) * stride
        guard count > 1, stride > 0 else { return shape(of: (0..<max(0, count)).map { first + $0 * stride }) }
        if stride >= g { return GroupShape(members: count, nodes: count, perNode: 1) }
        let nodes = last / g - first / g + 1
        guard g % stride == 0 else { return shape(of: (0..<count).map { first + $0 * stride }) }
        // Members below `first` in its node, and up to `last` in its node, are whole strides apart.
        let firstNodeMembers = ((first / g + 1) * g - 1 - first) / stride + 1
        let lastNodeMembers = (last - last / g * g) / stride + 1
        let perNode = nodes == 1 ? count : max(firstNodeMembers, lastNodeMembers, nodes > 2 ? g / stride : 0)
        return GroupShape(members: count, nodes: nodes, perNode: perNode)
    }

    /// The placement of ``dataParallelGroup(stage:column:)``, without listing it.
    public func dataParallelShape(stage: Int, column: Int) -> GroupShape {
        shape(first: rank(stage: stage, column: column % tp), stride: tp, count: dp)
    }

    /// The placement of ``expertDataParallelGroup(stage:column:)``, without listing it.
    public func expertDataParallelShape(stage: Int, column: Int) -> GroupShape {
        shape(first: rank(stage: stage, column: column % ep), stride: ep, count: expertGroupsPerStage)
    }

    /// Whether two ranks share a node.
    public func sameNode(_ a: Int, _ b: Int) -> Bool { a / gpusPerNode == b / gpusPerNode }
}
