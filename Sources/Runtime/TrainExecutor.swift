import Kernels
import MPIKit
import Program
import Training
import Workload

/// One rank's interpreter of a train task's program (`kind = "train"`): the step the simulator
/// times, run for real. Each op of the rank's ``RankProgram``, in program order, becomes its
/// work: forward and backward chain steps (``StageWorker``), MoE all-to-alls over the
/// expert-parallel group, deferred weight passes, gradient reduce-scatter (or all-reduce without
/// ZeRO), AdamW on the rank's shard, parameter all-gather. Pipeline transfers are point-to-point:
/// every receive of the step is posted at its start, sends are nonblocking.
///
/// Every rank holds the whole weight vector and trains its positions' tensors and its experts
/// (``ownedRanges(of:)``); the ranks holding the same tensors — a stage's data-parallel columns,
/// and with DualPipe the mirror stage's, which holds the same two positions — sum their
/// gradients and share the optimizer state (ZeRO-1: each updates one shard).
final class TrainExecutor {
    let task: TrainTask
    let world: Communicator
    let model: TrainingModel
    let lowering: TrainingLowering
    let program: RankProgram
    let rank: Int
    let stage: Int, column: Int
    let worker: StageWorker
    let corpus: SyntheticCorpus
    let optimizerConfiguration: AdamWConfiguration
    /// Ranks holding the same non-expert tensors, and the same experts (at ep = 1 the same ranks).
    let syncGroup: Communicator?
    let expertSyncGroup: Communicator?
    let owned: OwnedRanges
    var denseShard: OptimizerShard
    var expertShard: OptimizerShard
    /// Optimizer steps taken.
    var completedSteps = 0
    var trace: TraceRecorder?
    /// The step's expert loads summed over the ranks running the same layers (all layers flat).
    var stepLoads: [Double] = []

    /// The flat parameter ranges a rank trains: non-expert and routed-expert (the program's `data`
    /// and `expertData` sets).
    struct OwnedRanges: Equatable {
        var dense: [Range<Int>], experts: [Range<Int>]
        var all: [Range<Int>] { (dense + experts).sorted { $0.lowerBound < $1.lowerBound } }
    }

    init(task: TrainTask, world: Communicator) throws {
        guard task.ranks == world.size else {
            throw TrainRunError("task '\(task.name)' lays out pp × dp = \(task.ranks) ranks, the run has \(world.size)")
        }
        self.task = task
        self.world = world
        model = try TrainingModel(model: task.model)
        var lowering = TrainingLowering(model: task.model, setup: task.setup, gpusPerNode: world.size)
        program = lowering.lower()
        self.lowering = lowering
        rank = world.rank
        let coordinates = lowering.ranks.coordinates(of: rank)
        stage = coordinates.stage
        column = coordinates.column
        let setup = task.setup
        let expertGroup = try world.split(color: coordinates.epGroup, key: column)
        let exchange: ExpertExchange = setup.ep > 1 ? MPIExpertExchange(communicator: try Self.required(expertGroup))
                                                    : LocalExpertExchange()
        worker = try StageWorker(ops: ModelOps(model: model), blocks: lowering.layout.blocks,
                                 weights: ModelWeights(model: model, seed: task.seed), exchange: exchange)
        corpus = try SyntheticCorpus(vocabulary: model.vocabulary, sequenceLength: setup.sequenceLength,
                                     sequences: setup.globalBatchSequences, seed: task.seed)
        optimizerConfiguration = AdamWConfiguration(learningRate: Float(task.learningRate), weightDecay: Float(task.weightDecay))
        let syncColor = Self.syncColor(stage: stage, setup: setup)
        syncGroup = try world.split(color: syncColor, key: rank)
        expertSyncGroup = try world.split(color: syncColor * setup.ep + column % setup.ep, key: rank)
        owned = Self.ownedRanges(of: rank, task: task, lowering: lowering, layout: worker.weights.layout)
        denseShard = OptimizerShard(length: owned.dense.reduce(0) { $0 + $1.count }, group: syncGroup, zero: setup.zeroStage)
        expertShard = OptimizerShard(length: owned.experts.reduce(0) { $0 + $1.count }, group: expertSyncGroup, zero: setup.zeroStage)
    }

    private static func required(_ communicator: Communicator?) throws -> Communicator {
        guard let communicator else { throw TrainRunError("MPI_Comm_split gave no communicator") }
        return communicator
    }

    /// The ranks holding the same tensors share a color: a stage, or with DualPipe the pair of
    /// stages s and pp−1−s (both hold positions s and pp−1−s).
    static func syncColor(stage: Int, setup: TrainingSetup) -> Int {
        setup.schedule == .dualpipe ? min(stage, setup.pp - 1 - stage) : stage
    }

    /// The parameters rank `rank` trains (a pure function of the layout: rank 0 uses it to check
    /// every rank's values).
    static func ownedRanges(of rank: Int, task: TrainTask, lowering: TrainingLowering,
                            layout: ParameterLayout) -> OwnedRanges {
        let coordinates = lowering.ranks.coordinates(of: rank), pipeline = lowering.layout
        let positions = (0..<pipeline.chunksPerRank).map { pipeline.position(stage: coordinates.stage, chunk: $0).position }
        let blocks = Set(positions.flatMap { pipeline.blocks[$0] })
        // The routed experts are their own set at every ep, as the program reduces them (its
        // `expertData` grad-sync, which at ep = 1 spans the same ranks as `data`).
        let experts = task.model.moe?.routedExperts ?? 0, per = experts / max(1, task.setup.ep)
        let expertRange = experts > 0 ? (coordinates.epIndex * per)..<((coordinates.epIndex + 1) * per) : nil
        let ranges = layout.ranges(blocks: blocks, embedding: positions.contains(0),
                                   head: positions.contains(pipeline.positions - 1), routedExperts: expertRange)
        return OwnedRanges(dense: ranges.dense, experts: ranges.experts)
    }

    /// This rank's values of the parameters it trains, in ``OwnedRanges/all`` order.
    func ownedValues() -> [Float] {
        owned.all.flatMap { worker.weights.values[$0] }
    }

    /// This replica's micro-batches of step `step`: replica `column` takes micro-batches
    /// `column·n ..< (column+1)·n` of the step's batch split into dp·n.
    func microBatches(step: Int) throws -> [TrainingBatch] {
        let n = task.setup.microBatches, dp = task.setup.dp
        let batch = corpus.batch(step: step)
        return try (0..<n).map { try batch.microBatch(column * n + $0, of: dp * n) }
    }
}

/// One set of parameters' optimizer state on this rank: all of it, or with ZeRO-1 over a group
/// of `g` ranks the `i`-th of `g` equal shards of the set padded to a multiple of `g`.
struct OptimizerShard {
    let length: Int
    let group: Communicator?
    let zero: Int
    var firstMoment: [Float], secondMoment: [Float]
    /// Buffers kept from step to step (allocated at the first, so a step faults in no fresh
    /// pages): the set's gradients packed and padded (summed in place without ZeRO), this
    /// rank's reduced shard of them (ZeRO-1), the set's parameters packed and padded (AdamW
    /// updates this rank's shard in place), and the gathered set (ZeRO-1).
    var packedGradient: [Float] = [], shardGradient: [Float] = [], packedParameters: [Float] = [], gathered: [Float] = []

    init(length: Int, group: Communicator?, zero: Int) {
        self.length = length
        self.group = group
        self.zero = zero
        let size = group?.size ?? 1
        let padded = (length + size - 1) / size * size
        let shard = zero >= 1 ? padded / size : length
        firstMoment = [Float](repeating: 0, count: shard)
        secondMoment = firstMoment
    }

    var groupSize: Int { group?.size ?? 1 }
    var padded: Int { (length + groupSize - 1) / groupSize * groupSize }
    var isSharded: Bool { zero >= 1 && groupSize > 1 }
    /// The positions of the (padded) set this rank updates.
    var shardRange: Range<Int> {
        guard isSharded, let group else { return 0..<length }
        let size = padded / groupSize
        return (group.rank * size)..<((group.rank + 1) * size)
    }
}
