import Workload

/// Parameters held by one rank of each pipeline stage (all its chunks), split into expert weights
/// (sharded by expert parallelism) and the rest (sharded by tensor parallelism), plus the shapes of
/// the data-parallel groups that synchronise them.
public struct RankParameters: Sendable {
    /// Parameters of one rank of a stage.
    public struct Counts: Sendable, Equatable {
        /// Attention, norms, dense FFN, shared experts, router, embedding and head (per rank).
        public var nonExpert = 0.0
        /// Routed experts hosted by the rank.
        public var expert = 0.0
        /// Both.
        public var total: Double { nonExpert + expert }

        public init(nonExpert: Double = 0, expert: Double = 0) {
            self.nonExpert = nonExpert
            self.expert = expert
        }
    }

    /// A group's placement (see ``RankLayout/shape(of:)``).
    public typealias GroupShape = RankLayout.GroupShape

    /// Per stage.
    public let perStage: [Counts]
    /// Per stage: the rank's parameters of its largest block (one ZeRO-3 gather unit; the first
    /// block carries the embedding, the last the head and final norm).
    public let largestBlock: [Double]
    let setup: TrainingSetup
    /// Which rank holds which coordinate (the groups come from there).
    let layout: RankLayout

    public init(model: TransformerModel, setup: TrainingSetup, layout: PipelineLayout, gpusPerNode: Int) {
        self.init(blocks: BlockParameters(model: model), setup: setup, layout: layout, gpusPerNode: gpusPerNode)
    }

    /// The same from the model's block parameters, counted once by a caller that sizes many
    /// setups of one model (the plan's memory stage).
    public init(blocks: BlockParameters, setup: TrainingSetup, layout: PipelineLayout, gpusPerNode: Int) {
        self.setup = setup
        self.layout = RankLayout(setup: setup, gpusPerNode: gpusPerNode)
        var stages: [Counts] = [], largest: [Double] = []
        for stage in 0..<setup.pp {
            var counts = Counts(), block = 0.0
            for chunk in 0..<layout.chunksPerRank {
                let position = layout.position(stage: stage, chunk: chunk).position, held = layout.blocks[position]
                let whole = blocks.rankCounts(blocks: held, first: position == 0,
                                              last: position == layout.positions - 1, tp: setup.tp, ep: setup.ep)
                counts.nonExpert += whole.nonExpert
                counts.expert += whole.expert
                for unit in layout.parameterUnits(position: position) {
                    block = max(block, blocks.unitCounts(unit, layout: layout, tp: setup.tp, ep: setup.ep).total)
                }
            }
            stages.append(counts)
            largest.append(block)
        }
        perStage = stages
        largestBlock = largest
    }

    /// The data-parallel group of non-expert weights of the rank at (`stage`, `column`).
    public func dataParallelShape(stage: Int, column: Int) -> GroupShape {
        layout.dataParallelShape(stage: stage, column: column)
    }

    /// The group of ranks holding the same experts (same place in different expert-parallel groups).
    public func expertDataParallelShape(stage: Int, column: Int) -> GroupShape {
        layout.expertDataParallelShape(stage: stage, column: column)
    }

    /// Parameters whose optimizer state the rank updates (ZeRO ≥ 1 shards them, ``share(stage:sharded:)``).
    public func optimizerShard(stage: Int, zeroStage: Int) -> Double {
        share(stage: stage, sharded: zeroStage >= 1)
    }

    /// A rank of `stage`'s part of its parameters' state: all of it, or `sharded` its share over
    /// the groups holding the same weights — dp·cp ranks, dp·cp·tp/ep for experts, twice as many
    /// under DualPipe, whose mirror stages hold the same weights and shard them together. (ZeRO
    /// shards the optimizer states from stage 1, the gradients from 2, the weights from 3.)
    public func share(stage: Int, sharded: Bool) -> Double {
        let counts = perStage[stage]
        guard sharded else { return counts.total }
        let stages = layout.syncStageCount(stage)
        let width = setup.dataParallelWidth
        return counts.nonExpert / Double(width * stages) + counts.expert / Double(width * setup.tp / setup.ep * stages)
    }
}
