import Program
import Testing
import Workload

/// Hand-checked programs of small setups.
@Suite struct TrainingLoweringTests {
    static func tinyDenseModel(layers: Int = 8) -> TransformerModel {
        TransformerModel(name: "tiny", layers: layers, hidden: 2048,
                         attention: AttentionSpec(kind: .mha, heads: 16, kvHeads: 16, headDim: 128),
                         denseFfnWidth: 8192, vocabulary: 8)
    }

    static func twoStageSetup(microBatches: Int = 4) -> TrainingSetup {
        var setup = TrainingSetup()
        setup.sequenceLength = 2048
        setup.globalBatchSequences = microBatches
        setup.microBatchSequences = 1
        setup.pp = 2
        setup.dp = 1
        setup.schedule = .oneFOneB
        return setup
    }

    func kinds(_ program: RankProgram, rank: Int) -> [OperationKind] {
        program.ops(of: rank).map { OperationKind(rawValue: program.kind[$0]) ?? .forward }
    }

    /// 2 stages, 4 micro-batches, 1F1B, dense: a stage's forward of one micro-batch is one compute
    /// op (its 4 layers merged), likewise its backward; no data parallelism, so no gradient sync.
    @Test func twoStageOneFOneBHasNineOpsPerRankInScheduleOrder() {
        var lowering = TrainingLowering(model: Self.tinyDenseModel(), setup: Self.twoStageSetup(), gpusPerNode: 8)
        let program = lowering.lower()
        #expect(program.ranks == 2)
        #expect(program.count == 18)
        // Stage 0 warms up with one forward (PP − s − 1 = 1), then alternates; stage 1 alternates.
        #expect(kinds(program, rank: 0) == [.forward, .forward, .backward, .forward, .backward, .forward, .backward, .backward, .optimizer])
        #expect(kinds(program, rank: 1) == [.forward, .backward, .forward, .backward, .forward, .backward, .forward, .backward, .optimizer])
        #expect(program.collectiveMembers.isEmpty)
        #expect(program.stream.allSatisfy { $0 == 0 })
    }

    /// Every forward of stage 1 receives stage 0's forward of the same micro-batch, and every
    /// backward of stage 0 receives stage 1's backward: activations one way, gradients back,
    /// T·h·2 bytes each; the producer wakes its peer.
    /// Scatter/gather (the default) sends 1/tp of the activations per rank; without it every TP
    /// rank sends them whole; with sequence parallelism they are 1/tp per rank either way.
    @Test func pipelineScatterGatherSplitsTheSendOverTensorRanks() {
        var setup = Self.twoStageSetup()
        setup.tp = 4
        // T·h·2 = 2048 · 2048 · 2 = 8,388,608 bytes; / 4 = 2,097,152 with scatter/gather.
        #expect(TrainingLowering(model: Self.tinyDenseModel(), setup: setup, gpusPerNode: 8).transferBytes == 2_097_152)
        setup.pipelineScatterGather = false
        #expect(TrainingLowering(model: Self.tinyDenseModel(), setup: setup, gpusPerNode: 8).transferBytes == 8_388_608)
        setup.sequenceParallel = true
        #expect(TrainingLowering(model: Self.tinyDenseModel(), setup: setup, gpusPerNode: 8).transferBytes == 2_097_152)
    }

    @Test func pipelineSendsAndReceivesPairUp() {
        var lowering = TrainingLowering(model: Self.tinyDenseModel(), setup: Self.twoStageSetup(), gpusPerNode: 8)
        let program = lowering.lower()
        var received = 0
        for op in 0..<program.count where program.remoteDependency[op] >= 0 {
            let source = Int(program.remoteDependency[op])
            #expect(program.rank[source] != program.rank[op])
            #expect(program.microBatch[source] == program.microBatch[op])
            #expect(program.kind[source] == program.kind[op])
            #expect(program.wakes[source] == program.rank[op])
            #expect(program.transferBytes[op] == Float(2048 * 2048 * 2))
            let kind = OperationKind(rawValue: program.kind[op])
            #expect(program.rank[op] == (kind == .forward ? 1 : 0))
            received += 1
        }
        #expect(received == 8)
    }

    /// A stage's forward op carries its layers' work: the embedding on stage 0, then per layer
    /// three attention projections (MHA) and two FFN GEMMs, with their layer numbers.
    @Test func forwardOpCarriesItsLayersGemms() {
        var lowering = TrainingLowering(model: Self.tinyDenseModel(), setup: Self.twoStageSetup(), gpusPerNode: 8)
        let program = lowering.lower()
        let first = program.ops(of: 0).lowerBound
        let items = Array(program.work.items(of: program.segment[first]))
        #expect(items.first?.elementwise == .embedding)
        let gemms = items.filter { $0.kind == .gemm }
        #expect(gemms.count == 4 * 5)
        #expect(Set(gemms.map(\.layer)) == [0, 1, 2, 3])
        // The FFN up-projection of layer 0: T × (gated·f/tp) × h.
        let up = Self.tinyDenseModel().gatedFfn ? 2.0 * 8192 : 8192
        #expect(gemms.contains { $0.m == 2048 && $0.n == up && $0.k == 2048 && $0.layer == 0 })
        #expect(program.layer(of: first) == -1)  // the embedding comes first
    }

    @Test func rankLayoutNumbersStagesThenDataThenTensor() {
        let layout = RankLayout(tp: 2, pp: 2, ep: 4, dp: 4, gpusPerNode: 8)
        let c = layout.coordinates(of: 13)
        #expect(c.stage == 1 && c.column == 5 && c.dpIndex == 2 && c.tpIndex == 1 && c.epIndex == 1 && c.node == 1)
        #expect(c.epGroup == 3)
        #expect(layout.rank(stage: c.stage, column: c.column) == 13)
    }

    /// The same layout with ZeRO-3 gathering before each forward and gradients bucketed: the
    /// embedding is a parameter unit of its own, so on rank 0 each embedding-only forward (chunk 0)
    /// waits, through an empty op, for an all-gather of exactly the embedding's 32,000 × 2048
    /// parameters (2 B each), and the embedding's reduce-scatter (4 B each) waits for the op
    /// holding its backward (chunk 0, the rank's last backward of the last micro-batch). Rank 2
    /// likewise for the head and final norm, 32,000 × 2048 + 2048 (its last chunk holds no layer).
    @Test func emptyEndChunksGatherAndReduceTheirOwnUnit() {
        var model = Self.tinyDenseModel()
        model.vocabulary = 32_000
        var setup = Self.twoStageSetup(microBatches: 4)
        setup.dp = 2; setup.schedule = PipelineScheduleKind.interleaved; setup.virtualStages = 2
        setup.stageLayers = [0, 4, 4, 0]
        setup.zeroStage = 3; setup.shardedGathers = ShardedGathers.forward; setup.overlapGradientReduce = true
        var lowering = TrainingLowering(model: model, setup: setup, gpusPerNode: 8)
        let program = lowering.lower()
        func items(_ op: Int) -> [WorkItem] { program.segment[op] < 0 ? [] : Array(program.work.items(of: program.segment[op])) }
        for (rank, work) in [(0, ElementwiseKind.embedding), (2, nil)] {
            let unit = Double(model.vocabulary * model.hidden + (rank == 0 ? 0 : model.hidden))
            let ops = Array(program.ops(of: rank))
            // Head-only chunk: the head's GEMM has no layer; the embedding chunk: its lookup item.
            let unitForwards = ops.filter { op in
                program.kind[op] == OperationKind.forward.rawValue && items(op).contains { item in
                    work.map { item.elementwise == $0 } ?? (item.kind == .gemm && item.layer < 0)
                }
            }
            #expect(unitForwards.count == 2, "rank \(rank): one per micro-batch")
            for op in unitForwards {
                let wait = op - 1, gather = Int(program.dependency[wait])
                #expect(program.segment[wait] < 0 && gather >= 0 && program.kind[gather] == OperationKind.parameterGather.rawValue)
                #expect(gather >= 0 && items(gather).first?.bytes == unit * 2, "rank \(rank)")
            }
            let sync = ops.filter { program.kind[$0] == OperationKind.gradientSync.rawValue && items($0).first?.bytes == unit * 4 }
            #expect(sync.count == 1, "rank \(rank)")
            let ready = sync.first.map { Int(program.dependency[$0]) } ?? -1
            #expect(ready >= 0 && program.kind[ready] == OperationKind.backward.rawValue && program.chunk[ready] == (rank == 0 ? 0 : 1))
        }
    }

    /// Interleaved(2) on pp = 2, dp = 2, stageLayers per virtual stage [0, 4, 4, 0] (Llama 3's
    /// layout: the first chunk holds only the embedding, the last only the head) on a model with
    /// a 32,000-token vocabulary. The embedding and head ride with their carrier blocks, so every
    /// rank still gathers (BF16, 2 B) and reduces (FP32, 4 B) exactly its stage's parameters,
    /// embedding or head included: ZeRO-1 with the gathers prefetched and the reductions bucketed
    /// once per step, and ZeRO-3 gathering before each of the 2 micro-batches' forwards.
    @Test func emptyEndChunksKeepTheEmbeddingAndHeadInTheirRanksSync() {
        var model = Self.tinyDenseModel()
        model.vocabulary = 32_000
        var setup = Self.twoStageSetup(microBatches: 4)
        setup.dp = 2; setup.schedule = PipelineScheduleKind.interleaved; setup.virtualStages = 2
        setup.stageLayers = [0, 4, 4, 0]
        setup.overlapParameterGather = true; setup.overlapGradientReduce = true
        for (zero, passes) in [(1, 1.0), (3, 2.0)] {
            setup.zeroStage = zero
            setup.shardedGathers = ShardedGathers.forward
            var lowering = TrainingLowering(model: model, setup: setup, gpusPerNode: 8)
            let program = lowering.lower()
            let stages = lowering.parameters.perStage
            let embedding = Double(model.vocabulary * model.hidden)
            #expect(stages[0].nonExpert > embedding && stages[1].nonExpert > embedding)   // each holds one of them
            for rank in [0, 2] {
                func bytes(_ kind: OperationKind, _ work: WorkKind) -> Double {
                    var sum = 0.0
                    for op in program.ops(of: rank) where program.kind[op] == kind.rawValue {
                        for item in program.work.items(of: program.segment[op]) where item.kind == work { sum += item.bytes }
                    }
                    return sum
                }
                let held = stages[rank / 2].nonExpert
                #expect(bytes(.parameterGather, .allGather) == passes * held * 2, "ZeRO-\(zero), rank \(rank)")
                #expect(bytes(.gradientSync, .reduceScatter) == held * 4, "ZeRO-\(zero), rank \(rank)")
            }
        }
    }
}

/// `frugal program`'s listing of the 2-stage program.
@Suite struct ProgramListingTests {
    @Test func listingNamesPeersAndWork() throws {
        var lowering = TrainingLowering(model: TrainingLoweringTests.tinyDenseModel(), setup: TrainingLoweringTests.twoStageSetup(),
                                        gpusPerNode: 8)
        let listing = ProgramListing(program: lowering.lower(), layout: lowering.ranks)
        let stage1 = listing.ops(of: 1)
        #expect(stage1.count == 9)
        let firstForward = try #require(stage1.first)
        #expect(firstForward.receivesFrom == 0 && firstForward.receiveBytes == Double(2048 * 2048 * 2))
        #expect(firstForward.microBatch == 0 && firstForward.stream == "compute")
        #expect(listing.ops(of: 0).first?.sendsTo == 1)
        #expect(listing.ops(of: 2).isEmpty)
        let table = listing.table(ranks: [0])
        #expect(table.contains("# rank 0: stage 0"))
        #expect(table.contains("gemm 2048×"))
        let json = try listing.json(ranks: [1])
        #expect(json.contains("\"receivesFrom\" : 0"))
    }

}
