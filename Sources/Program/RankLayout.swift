import Workload

/// Which rank holds which parallel coordinate: the one place that numbers ranks.
///
/// rank = stage·(dp·cp·tp) + column; column = (dpIndex·cp + cpIndex)·tp + tpIndex. Tensor-parallel
/// groups are `tp` consecutive ranks; a context-parallel group is `cp` ranks at stride tp; an
/// expert-parallel group is `ep` consecutive columns of one stage (experts are sharded over data-
/// and context-parallel replicas); the data-parallel group of non-expert weights is every column
/// with the same tpIndex (dp·cp ranks: Megatron folds cp into the gradient group); node = rank /
/// gpusPerNode.
///
/// Ranks are the program's numbering; the GPU a rank runs on is ``device(of:)``: the same number
/// under the default placement order (tp, cp, dp, pp innermost first), else the coordinates
/// placed in the configured order (``TrainingSetup/order``). Nodes, group shapes and distances
/// are those of the devices.
///
/// With mirrored stages (DualPipe) stage s and stage pp−1−s hold the same two pipeline positions
/// (s and pp−1−s), so their weights are one replica set: a data- or expert-data-parallel group
/// takes its columns from both stages (2·dp members, 2·dp·tp/ep for experts), as the runtime's
/// `syncColor` splits its communicators.
public struct RankLayout: Sendable, Equatable {
    public let tp: Int, pp: Int, ep: Int, dp: Int
    /// Context-parallel degree.
    public let cp: Int
    public let gpusPerNode: Int
    /// Whether stages s and pp−1−s synchronise their weights together (DualPipe).
    public let mirrored: Bool
    /// The placement order, innermost first.
    public let order: [ParallelDimension]
    /// Whether the order is the default one (a rank's device is the rank).
    public let placedInRankOrder: Bool
    /// Device stride of each dimension, indexed tp, cp, dp, pp (``ParallelDimension`` order).
    let deviceStride: [Int]

    public init(tp: Int, pp: Int, ep: Int, dp: Int, cp: Int = 1, gpusPerNode: Int, mirrored: Bool = false,
                order: [ParallelDimension] = ParallelDimension.defaultOrder) {
        self.tp = max(1, tp); self.pp = max(1, pp); self.ep = max(1, ep); self.dp = max(1, dp); self.cp = max(1, cp)
        self.gpusPerNode = max(1, gpusPerNode)
        self.mirrored = mirrored
        // Built once per planned configuration: plain arrays, no hashing (the plan's hot path).
        let all = ParallelDimension.allCases
        let complete = order.count == all.count && all.allSatisfy(order.contains)
        self.order = complete ? order : ParallelDimension.defaultOrder
        let size = { (dimension: ParallelDimension) -> Int in
            switch dimension {
            case .tp: return max(1, tp)
            case .cp: return max(1, cp)
            case .dp: return max(1, dp)
            case .pp: return max(1, pp)
            }
        }
        var strides = [Int](repeating: 1, count: all.count), next = 1
        for dimension in self.order {
            strides[all.firstIndex(of: dimension) ?? 0] = next
            next *= size(dimension)
        }
        deviceStride = strides
        // Dimensions of size 1 do not move anything: compare the order of the others.
        let moving = self.order.filter { size($0) > 1 }
        placedInRankOrder = moving == ParallelDimension.defaultOrder.filter { size($0) > 1 }
    }

    /// The layout of `setup`'s ranks: mirrored under DualPipe.
    public init(setup: TrainingSetup, gpusPerNode: Int) {
        self.init(tp: setup.tp, pp: setup.pp, ep: setup.ep, dp: setup.dp, cp: setup.cp, gpusPerNode: gpusPerNode,
                  mirrored: setup.schedule == .dualpipe, order: setup.order)
    }

    /// A rank's coordinates.
    public struct Coordinates: Sendable, Equatable, Codable {
        public var stage: Int, column: Int, dpIndex: Int, tpIndex: Int, epIndex: Int
        /// Expert-parallel group index over the whole cluster.
        public var epGroup: Int
        public var node: Int
        /// Position in the context-parallel group (0 without context parallelism).
        public var cpIndex = 0
    }

    /// Ranks of one stage.
    public var columns: Int { dp * cp * tp }
    /// All ranks.
    public var ranks: Int { pp * columns }
    /// Expert-parallel groups per stage.
    public var expertGroupsPerStage: Int { columns / ep }

    /// The coordinates of `rank`.
    public func coordinates(of rank: Int) -> Coordinates {
        let stage = rank / columns, column = rank % columns
        let dpIndex: Int = column / (tp * cp), cpIndex: Int = (column / tp) % cp
        let epGroup: Int = stage * expertGroupsPerStage + column / ep
        return Coordinates(stage: stage, column: column, dpIndex: dpIndex, tpIndex: column % tp, epIndex: column % ep,
                           epGroup: epGroup, node: device(of: rank) / gpusPerNode, cpIndex: cpIndex)
    }

    /// The GPU `rank` runs on: its (tp, cp, dp, pp) indices placed in ``order``, innermost first.
    public func device(of rank: Int) -> Int {
        guard !placedInRankOrder else { return rank }
        let stage = rank / columns, column = rank % columns
        // (tp, cp, dp, pp) indices times their strides, in ParallelDimension.allCases order; no
        // array per call (group shapes of a non-default order ask once per member).
        return column % tp * deviceStride[0] + column / tp % cp * deviceStride[1]
            + column / (tp * cp) * deviceStride[2] + stage * deviceStride[3]
    }

    /// The node of `rank`'s GPU.
    public func node(of rank: Int) -> Int { device(of: rank) / gpusPerNode }

    /// The rank at `stage`, `column`.
    public func rank(stage: Int, column: Int) -> Int { stage * columns + column }

    /// The stage that names the data-parallel groups of `stage`: itself, or when mirrored the
    /// lower of s and pp−1−s (the runtime's `syncColor`).
    public func syncStage(_ stage: Int) -> Int { mirrored ? min(stage, pp - 1 - stage) : stage }

    /// The stages whose ranks synchronise weights with `stage`'s, ascending: itself, or when
    /// mirrored s and pp−1−s (one stage where they coincide, the middle of an odd pp).
    public func syncStages(_ stage: Int) -> [Int] {
        let low = syncStage(stage), high = pp - 1 - low
        return mirrored && high != low ? [low, high] : [low]
    }

    /// How many stages a data-parallel group of `stage` spans (1, or 2 when mirrored).
    public func syncStageCount(_ stage: Int) -> Int { mirrored && pp - 1 - stage != stage ? 2 : 1 }

    /// The data-parallel group of the rank at (`stage`, `column`): the ranks of its stage (and of
    /// its mirror stage) with the same tensor-parallel index (stride tp; dp·cp of them), which
    /// synchronise its non-expert weights.
    public func dataParallelGroup(stage: Int, column: Int) -> [Int] {
        let tpIndex = column % tp
        return syncStages(stage).flatMap { s in (0..<(dp * cp)).map { rank(stage: s, column: $0 * tp + tpIndex) } }
    }

    /// The context-parallel group of the rank at (`stage`, `column`): the `cp` ranks at stride tp
    /// that share its tensor- and data-parallel indices (one sequence's chunks).
    public func contextParallelGroup(stage: Int, column: Int) -> [Int] {
        let first = column / (tp * cp) * (tp * cp) + column % tp
        return (0..<cp).map { rank(stage: stage, column: first + $0 * tp) }
    }

    /// The placement of ``contextParallelGroup(stage:column:)``, without listing it.
    public func contextParallelShape(stage: Int, column: Int) -> GroupShape {
        shape(first: rank(stage: stage, column: column / (tp * cp) * (tp * cp) + column % tp), stride: tp, count: cp)
    }

    /// The expert-data-parallel group of the rank at (`stage`, `column`): the ranks of its stage
    /// (and of its mirror stage) at the same place of the other expert-parallel groups (stride
    /// ep), which hold the same experts.
    public func expertDataParallelGroup(stage: Int, column: Int) -> [Int] {
        syncStages(stage).flatMap { s in (0..<expertGroupsPerStage).map { rank(stage: s, column: column % ep + $0 * ep) } }
    }

    /// A group's placement: members, nodes spanned and the most members on one node.
    public struct GroupShape: Sendable, Equatable {
        public var members: Int
        public var nodes: Int
        public var perNode: Int

        public init(members: Int, nodes: Int, perNode: Int) {
            self.members = members; self.nodes = nodes; self.perNode = perNode
        }
    }

    /// The placement of the group of `ranks` (any order).
    public func shape(of ranks: [Int]) -> GroupShape {
        let devices = placedInRankOrder ? ranks : ranks.map(device(of:))
        let sorted = zip(devices, devices.dropFirst()).allSatisfy { $0 <= $1 } ? devices : devices.sorted()
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
        guard count > 1, stride > 0, placedInRankOrder else { return shape(of: (0..<max(0, count)).map { first + $0 * stride }) }
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
        syncGroupShape(stage: stage, column: column % tp, stride: tp, count: dp * cp)
    }

    /// The placement of ``expertDataParallelGroup(stage:column:)``, without listing it.
    public func expertDataParallelShape(stage: Int, column: Int) -> GroupShape {
        syncGroupShape(stage: stage, column: column % ep, stride: ep, count: expertGroupsPerStage)
    }

    /// The placement of the `count` columns `column`, `column + stride`, … of each of
    /// ``syncStages(_:)``, in constant time. The stages' ranks are disjoint blocks, the lower
    /// stage's first, so the two runs share at most one node: the last of the lower run's and
    /// the first of the upper run's, whose members add up there.
    func syncGroupShape(stage: Int, column: Int, stride: Int, count: Int) -> GroupShape {
        let low = syncStage(stage), high = pp - 1 - low
        guard placedInRankOrder else {
            return shape(of: syncStages(stage).flatMap { s in (0..<count).map { rank(stage: s, column: column + $0 * stride) } })
        }
        let lowFirst = rank(stage: low, column: column)
        let lower = shape(first: lowFirst, stride: stride, count: count)
        guard mirrored, high != low, count > 0 else { return lower }
        let highFirst = rank(stage: high, column: column)
        let upper = shape(first: highFirst, stride: stride, count: count)
        let node = (lowFirst + (count - 1) * stride) / gpusPerNode
        guard node == highFirst / gpusPerNode else {
            return GroupShape(members: 2 * count, nodes: lower.nodes + upper.nodes, perNode: max(lower.perNode, upper.perNode))
        }
        let shared = membersOnNode(node, first: lowFirst, stride: stride, count: count)
            + membersOnNode(node, first: highFirst, stride: stride, count: count)
        return GroupShape(members: 2 * count, nodes: lower.nodes + upper.nodes - 1,
                          perNode: max(lower.perNode, upper.perNode, shared))
    }

    /// How many of the ranks `first`, `first + stride`, … (`count` of them, stride ≥ 1) are on
    /// `node`, which holds at least one rank at or after `first`.
    func membersOnNode(_ node: Int, first: Int, stride: Int, count: Int) -> Int {
        let low = node * gpusPerNode, high = low + gpusPerNode - 1
        let from = low <= first ? 0 : (low - first + stride - 1) / stride
        let to = min(count - 1, (high - first) / stride)
        return max(0, to - from + 1)
    }

    /// Whether two ranks share a node.
    public func sameNode(_ a: Int, _ b: Int) -> Bool { node(of: a) == node(of: b) }

    /// The placement of the tensor-parallel group of the rank at (`stage`, `column`).
    public func tensorParallelShape(stage: Int, column: Int) -> GroupShape {
        shape(first: rank(stage: stage, column: column - column % tp), stride: 1, count: tp)
    }

    /// The placement of the expert-parallel group (`ep` consecutive columns) of the rank at (`stage`, `column`).
    public func expertParallelShape(stage: Int, column: Int) -> GroupShape {
        shape(first: rank(stage: stage, column: column - column % ep), stride: 1, count: ep)
    }
}
