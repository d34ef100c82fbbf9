import Hardware
import Program
import Simulator
import Testing
import Workload

/// Steps and costs of the layouts real runs use (sequence and context parallelism), by hand.
@Suite struct ParallelLayoutTests {
    /// Two H100s on one node, tp = 2, one stage, one 2048-token micro-batch of the 8-layer model:
    /// nothing else differs between SP and no SP, so the step differs by (a) the norms and residual
    /// adds, which run on half the tokens — per layer forward attention norm 16,777,216 + residual
    /// 25,165,824 + MLP norm 41,943,040 bytes, halved; backward twice that — and (b) the
    /// all-gather + reduce-scatter against the all-reduce, 4 per layer (attention, MLP; forward,
    /// backward). On one node with tp = 2, (b) is zero: ring all-reduce S/B + 2α = two ring halves
    /// (S/2B + α each).
    @Test func sequenceParallelSavesTheShardedElementwiseWork() throws {
        let cluster = try Fixtures.singleNode(gpus: 2)
        let model = Fixtures.tinyDenseModel()
        var setup = Fixtures.pipelineSetup(pp: 1, microBatches: 1, schedule: .oneFOneB)
        setup.tp = 2
        var split = setup
        split.sequenceParallel = true
        let plain = try #require(try TrainingSimulator(model: model, setup: setup, cluster: cluster).run().result.stepSeconds)
        let sharded = try #require(try TrainingSimulator(model: model, setup: split, cluster: cluster).run().result.stepSeconds)
        let costs = OpCostModel(cluster: cluster, setup: setup)
        func seconds(_ item: WorkItem) -> Double { costs.seconds(item, routes: []) }
        let bytes = 2048.0 * 2048 * 2
        var saved = 0.0
        for (kind, whole) in [(ElementwiseKind.norm, 2 * bytes), (.residual, 3 * bytes), (.norm, 5 * bytes)] {
            for pass in [1.0, 2.0] {   // forward, backward
                saved += seconds(.memory(kind, bytes: pass * whole)) - seconds(.memory(kind, bytes: pass * whole / 2))
            }
        }
        let split4 = seconds(.collective(.allGather, group: .tensor, bytes: bytes, ranksPerNode: 2, nodes: 1))
            + seconds(.collective(.reduceScatter, group: .tensor, bytes: bytes, ranksPerNode: 2, nodes: 1))
        let reduce = seconds(.collective(.allReduce, group: .tensor, bytes: bytes, ranksPerNode: 2, nodes: 1))
        #expect(abs(split4 - reduce) < 1e-15)
        let expected = 8 * saved - 8 * 4 * (split4 - reduce)
        #expect(abs((plain - sharded) / expected - 1) < 1e-9, "\(plain - sharded) vs \(expected)")
    }

    /// The ring: s steps; a/s + (s−1)·max(a/s, α + S/B). With 4 steps within a node (intra-node
    /// link of the fixture: 360 GB/s, 3.3 µs): 1,048,576 bytes take 3.3e-6 + 1,048,576/360e9 =
    /// 6.2127e-6 s. Compute-bound (a = 1 ms): 1 ms exactly. Communication-bound (a = 8 µs): 2 µs +
    /// 3 × 6.2127 µs = 20.638 µs.
    @Test func contextRingOverlapsTransfersWithAttention() throws {
        let cluster = try Fixtures.singleNode(gpus: 8)
        let costs = OpCostModel(cluster: cluster, setup: TrainingSetup())
        let send = 3.3e-6 + 1_048_576 / 360e9
        for attention in [1e-3, 8e-6] {
            var item = WorkItem(kind: .attentionForward)
            item.setContextRing(steps: 4, bytesPerStep: 1_048_576, ranksPerNode: 4, nodes: 1)
            let expected = attention / 4 + 3 * max(attention / 4, send)
            #expect(abs(costs.contextRingSeconds(item, attention: attention) / expected - 1) < 1e-12)
        }
    }

    /// cp = 2 on two GPUs, one 2048-token sequence: per layer the ring adds (to attention a)
    /// a/2 + max(a/2, α + S/B) − a forward (S = 1024 tokens × 4096 K/V elements × 2 bytes =
    /// 8,388,608) and the same with 2S backward; the all-gather exchange adds instead an all-gather
    /// of 2S forward, and an all-gather and a reduce-scatter of 2S backward (each, on 2 ranks,
    /// 2S/(2B) + α). Everything else is the same, so the steps differ by 8 layers of that.
    @Test func contextExchangesDifferByTheirCommunication() throws {
        let cluster = try Fixtures.singleNode(gpus: 2)
        let model = Fixtures.tinyDenseModel()
        var ring = Fixtures.pipelineSetup(pp: 1, microBatches: 1, schedule: .oneFOneB)
        ring.cp = 2
        var gather = ring
        gather.cpExchange = .allGather
        let costs = OpCostModel(cluster: cluster, setup: ring)
        let block = TrainingWork(model: model, setup: ring, gpusPerNode: 2).work(block: 0, epIndex: 0)
        var ringExtra = 0.0
        for item in block.attentionForward + block.attentionBackward where item.group == .context {
            var bare = item
            bare.group = .none; bare.n = 0; bare.bytes = 0
            ringExtra += costs.seconds(item, routes: []) - costs.seconds(bare, routes: [])
        }
        let s = 1024.0 * 4096 * 2
        let collective = 2 * s / (2 * 360e9) + 3.3e-6
        let send = { (bytes: Double) in 3.3e-6 + bytes / 360e9 }
        #expect(ringExtra > 0 && ringExtra <= send(s) + send(2 * s))
        let expected = 8 * (3 * collective - ringExtra)
        let ringStep = try #require(try TrainingSimulator(model: model, setup: ring, cluster: cluster).run().result.stepSeconds)
        let gatherStep = try #require(try TrainingSimulator(model: model, setup: gather, cluster: cluster).run().result.stepSeconds)
        #expect(abs((gatherStep - ringStep) / expected - 1) < 1e-6, "\(gatherStep - ringStep) vs \(expected)")
    }

    /// cp = 2 on two GPUs of one node: the step runs and fits; each rank does half the tokens, so
    /// its activations are half of one GPU's run of the same batch.
    @Test func contextParallelStepRuns() throws {
        let cluster = try Fixtures.singleNode(gpus: 2)
        var setup = Fixtures.pipelineSetup(pp: 1, microBatches: 2, schedule: .oneFOneB)
        setup.cp = 2
        let result = try TrainingSimulator(model: Fixtures.tinyDenseModel(), setup: setup, cluster: cluster).run().result
        #expect(result.fits)
        #expect((result.stepSeconds ?? 0) > 0)
        #expect(result.parallel.contains("cp=2"))
    }

    /// Interleaved(2) on pp = 4 with 6 micro-batches (not a multiple of pp): the step runs to the
    /// end (no stage waits forever), and the step grows with the micro-batches: n = 4 < 5 < 6.
    @Test func interleavedWithAShortLastGroupSimulates() throws {
        let cluster = try Fixtures.singleNode(gpus: 4)
        var steps: [Double] = []
        for microBatches in [4, 6, 5] {
            var setup = Fixtures.pipelineSetup(pp: 4, microBatches: microBatches, schedule: .interleaved)
            setup.virtualStages = 2
            let result = try TrainingSimulator(model: Fixtures.tinyDenseModel(), setup: setup, cluster: cluster).run().result
            steps.append(try #require(result.stepSeconds))
        }
        #expect(steps[1] > steps[2] && steps[2] > steps[0])
    }

    /// Per-stage layer counts [1, 3, 2, 2] of the 8-layer model: the middle stages hold 3 and 2
    /// layers and nothing else (embedding on stage 0, head on stage 3), so stage 1 holds 3/2 of
    /// stage 2's parameters; stage 1's forward op carries 3 layers' GEMMs (5 each: Q, K/V, O, up, down).
    @Test func stageLayersSetEachStagesWork() throws {
        let model = Fixtures.tinyDenseModel()
        var setup = Fixtures.pipelineSetup(pp: 4, microBatches: 4, schedule: .oneFOneB)
        setup.stageLayers = [1, 3, 2, 2]
        let layout = PipelineLayout(model: model, setup: setup)
        let parameters = RankParameters(model: model, setup: setup, layout: layout, gpusPerNode: 8)
        #expect(abs(parameters.perStage[1].total / parameters.perStage[2].total - 1.5) < 1e-12)
        var lowering = TrainingLowering(model: model, setup: setup, gpusPerNode: 8)
        let program = lowering.lower()
        let first = program.ops(of: 1).lowerBound
        let gemms = program.work.items(of: program.segment[first]).filter { $0.kind == .gemm }
        #expect(gemms.count == 3 * 5 && Set(gemms.map(\.layer)) == [1, 2, 3])
        let result = try TrainingSimulator(model: model, setup: setup, cluster: try Fixtures.singleNode(gpus: 4)).run().result
        #expect((result.stepSeconds ?? 0) > 0)
    }

    /// Per-virtual-stage counts with empty ends, [0, 2, 2, 2, 2, 0] on interleaved(3), pp = 2
    /// (Llama 3's layout): rank 0's first forward op is the embedding alone (one item of no layer),
    /// and the step runs to the end with activations on the ranks.
    @Test func emptyEndVirtualStagesSimulate() throws {
        let model = Fixtures.tinyDenseModel()
        var setup = Fixtures.pipelineSetup(pp: 2, microBatches: 4, schedule: .interleaved)
        setup.virtualStages = 3
        setup.stageLayers = [0, 2, 2, 2, 2, 0]
        try setup.validate(model: model, gpuCount: 2)
        var lowering = TrainingLowering(model: model, setup: setup, gpusPerNode: 8)
        let program = lowering.lower()
        let first = program.ops(of: 0).lowerBound
        let items = Array(program.work.items(of: program.segment[first]))
        #expect(items.count == 1 && items[0].layer < 0)
        let result = try TrainingSimulator(model: model, setup: setup, cluster: try Fixtures.singleNode(gpus: 2)).run().result
        #expect((result.stepSeconds ?? 0) > 0 && result.memory.activationsBytes > 0)
    }
}

/// The placement order of the parallel dimensions: which groups share a node, by hand.
@Suite struct PlacementOrderTests {
    /// Two nodes of two H100s (NVLink 360 GB/s, 3.3 µs; 50 GB/s NIC).
    static func twoNodes() throws -> ClusterSpec {
        let one = try Fixtures.singleNode(gpus: 2)
        return ClusterSpec(name: "two", chip: one.chip, nodes: 2, gpusPerNode: 2, intraNode: one.intraNode,
                           scaleOutGbPerSecond: 50, topology: one.topology, usdPerGpuHour: 2)
    }

    /// tp = 2, pp = 2, dp = 2 on 4-GPU nodes. Default order (tp, cp, dp, pp): rank = stage·4 +
    /// dp·2 + tp, the device is the rank. Order (tp, pp, dp): device = tp + 2·stage + 4·dp, so a
    /// replica's two stages share a node and its data-parallel group {dp 0, dp 1} spans two.
    @Test func orderPlacesTheGroups() {
        let plain = RankLayout(tp: 2, pp: 2, ep: 1, dp: 2, gpusPerNode: 4)
        let swapped = RankLayout(tp: 2, pp: 2, ep: 1, dp: 2, gpusPerNode: 4, order: [.tp, .cp, .pp, .dp])
        #expect(plain.placedInRankOrder && !swapped.placedInRankOrder)
        #expect((0..<8).map(swapped.device(of:)) == [0, 1, 4, 5, 2, 3, 6, 7])
        #expect(plain.dataParallelShape(stage: 0, column: 0) == .init(members: 2, nodes: 1, perNode: 2))
        #expect(swapped.dataParallelShape(stage: 0, column: 0) == .init(members: 2, nodes: 2, perNode: 1))
        #expect(!plain.sameNode(0, 4) && swapped.sameNode(0, 4))   // stage 0 and stage 1 of replica 0
        // tp outermost (pp, dp, tp): the tensor-parallel pair sits 4 GPUs apart, on two nodes.
        let outer = RankLayout(tp: 2, pp: 2, ep: 1, dp: 2, gpusPerNode: 4, order: [.pp, .dp, .cp, .tp])
        #expect(outer.tensorParallelShape(stage: 0, column: 0) == .init(members: 2, nodes: 2, perNode: 1))
        #expect(plain.tensorParallelShape(stage: 0, column: 0) == .init(members: 2, nodes: 1, perNode: 2))
    }

    /// The program's collectives carry the placement: tp = 2, pp = 2, dp = 2, 4 GPUs a node. The
    /// gradient all-reduce (ZeRO-0) of stage 0 is 2 ranks on one node by default, 1 on each of 2
    /// nodes with pp inside dp; the TP all-reduce moves to two nodes when tp is outermost.
    @Test func theProgramsCollectivesFollowTheOrder() {
        var setup = Fixtures.pipelineSetup(pp: 2, microBatches: 4, schedule: .oneFOneB)
        setup.tp = 2; setup.dp = 2; setup.zeroStage = 0; setup.globalBatchSequences = 8
        func placements(_ order: [ParallelDimension]) -> (sync: [Int32], tensor: [Int32]) {
            var ordered = setup
            ordered.order = order
            var lowering = TrainingLowering(model: Fixtures.tinyDenseModel(), setup: ordered, gpusPerNode: 4)
            let program = lowering.lower()
            let sync = program.work.items.first { $0.kind == .allReduce && $0.group == .data }
            let tensor = program.work.items.first { $0.group == .tensor }
            return ([sync?.ranksPerNode ?? 0, sync?.nodes ?? 0], [tensor?.ranksPerNode ?? 0, tensor?.nodes ?? 0])
        }
        #expect(placements(ParallelDimension.defaultOrder) == ([2, 1], [2, 1]))
        #expect(placements([.tp, .cp, .pp, .dp]) == ([1, 2], [2, 1]))
        #expect(placements([.pp, .dp, .cp, .tp]).tensor == [1, 2])
    }

    /// pp = 2, dp = 2, one micro-batch per pipeline, ZeRO-0, two nodes of two GPUs. Stage 0's path
    /// ends the step: F0, transfer, F1, B1, transfer, B0, gradient all-reduce, optimizer. Default
    /// order: the data-parallel pair shares a node, the stages do not; order (tp, cp, pp, dp): the
    /// other way round. So step(default) − step(swapped) = 2·(p2p across − p2p within) +
    /// (all-reduce within − all-reduce across) of stage 0's 4·P bytes of gradients.
    @Test func stepMovesTransfersAndAllReduceBetweenTiers() throws {
        let cluster = try Self.twoNodes()
        let model = Fixtures.tinyDenseModel()
        var setup = Fixtures.pipelineSetup(pp: 2, microBatches: 2, schedule: .oneFOneB)
        setup.dp = 2; setup.zeroStage = 0
        var swapped = setup
        swapped.order = [.tp, .cp, .pp, .dp]
        let plain = try #require(try TrainingSimulator(model: model, setup: setup, cluster: cluster).run().result.stepSeconds)
        let moved = try #require(try TrainingSimulator(model: model, setup: swapped, cluster: cluster).run().result.stepSeconds)
        let collectives = CollectiveCostModel(cluster: cluster)
        let transfer = 2048.0 * 2048 * 2
        let across = collectives.pointToPointSeconds(bytes: transfer, from: 0, to: 2)
        let within = collectives.pointToPointSeconds(bytes: transfer, from: 0, to: 1)
        let layout = PipelineLayout(model: model, setup: setup)
        let gradients = 4 * RankParameters(model: model, setup: setup, layout: layout, gpusPerNode: 2).perStage[0].total
        let reduceWithin = collectives.allReduceSeconds(bytes: gradients, ranksPerNode: 2, nodes: 1)
        let reduceAcross = collectives.allReduceSeconds(bytes: gradients, ranksPerNode: 1, nodes: 2)
        let expected = 2 * (across - within) + (reduceWithin - reduceAcross)
        #expect(abs((plain - moved) / expected - 1) < 1e-6, "\(plain - moved) vs \(expected)")
    }
}

/// Gradient reduction bucketed under the backward pass ([overlap] gradientReduce), by hand.
@Suite struct GradientOverlapTests {
    /// One stage, dp = 2, ZeRO-0, one micro-batch of the 8-layer model.
    static func setup(overlap: Bool) -> TrainingSetup {
        var setup = Fixtures.pipelineSetup(pp: 1, microBatches: 2, schedule: .oneFOneB)
        setup.dp = 2; setup.zeroStage = 0; setup.overlapGradientReduce = overlap
        return setup
    }

    /// The program: one all-reduce per block (8), each waiting for the backward op that finishes
    /// its block, together the stage's 4·P gradient bytes (block 0's bucket holds the embedding,
    /// block 7's the head). Without overlap: one all-reduce of 4·P after the last backward.
    @Test func oneBucketPerBlockWaitingForItsBackward() {
        let model = Fixtures.tinyDenseModel()
        for overlap in [false, true] {
            var lowering = TrainingLowering(model: model, setup: Self.setup(overlap: overlap), gpusPerNode: 8)
            let program = lowering.lower()
            let syncs = program.ops(of: 0).filter { OperationKind(rawValue: program.kind[$0]) == .gradientSync }
            let items = syncs.flatMap { program.work.items(of: program.segment[$0]) }
            let total = 4 * lowering.parameters.perStage[0].total
            #expect(abs(items.reduce(0) { $0 + $1.bytes } / total - 1) < 1e-12)
            #expect(syncs.count == (overlap ? 8 : 1))
            guard overlap else { continue }
            #expect(items.map(\.layer) == [7, 6, 5, 4, 3, 2, 1, 0])   // ready last layer first
            for (op, item) in zip(syncs, items) {
                let ready = Int(program.dependency[op])
                #expect(OperationKind(rawValue: program.kind[ready]) == .backward)
                #expect(program.work.items(of: program.segment[ready]).contains { $0.kind == .gemm && $0.layer == item.layer })
            }
        }
    }

    /// Two GPUs on one node with a 3.6 TB/s link (a layer's 268 MB of gradients reduce in ~75 µs,
    /// well under a layer's backward, so every bucket but the last hides under the backward of
    /// the layers below it). Without overlap the step ends with the all-reduce of all 4·P bytes;
    /// with it, with block 0's bucket (layer 0 + embedding) alone. Ring all-reduce of 2 ranks:
    /// S/B + 2α, so the step shrinks by (S_all − S_0)/B.
    @Test func overlapLeavesOnlyTheLastBucketExposed() throws {
        let one = try Fixtures.singleNode(gpus: 2)
        let fast = LinkTier(gbPerSecond: 3600, latencySeconds: 3.3e-6)
        let cluster = ClusterSpec(name: "fast", chip: one.chip, nodes: 1, gpusPerNode: 2, intraNode: fast,
                                  scaleOutGbPerSecond: 50, topology: one.topology, usdPerGpuHour: 2)
        let model = Fixtures.tinyDenseModel()
        let plain = try #require(try TrainingSimulator(model: model, setup: Self.setup(overlap: false), cluster: cluster).run().result.stepSeconds)
        let hidden = try #require(try TrainingSimulator(model: model, setup: Self.setup(overlap: true), cluster: cluster).run().result.stepSeconds)
        let blocks = BlockParameters(model: model)
        let all = 4 * blocks.rankCounts(blocks: Array(0..<8), first: true, last: true, tp: 1, ep: 1).total
        let first = 4 * blocks.rankCounts(blocks: [0], first: true, last: false, tp: 1, ep: 1).total
        let expected = (all - first) / 3600e9
        #expect(abs((plain - hidden) / expected - 1) < 1e-6, "\(plain - hidden) vs \(expected)")
    }

    /// The planner's closed form: the all-reduce of 4·P bytes over 2 ranks (S/B + 2α) is far less
    /// than one micro-batch's backward, so only one bucket's share stays exposed: (S/B + 2α)/8.
    @Test func closedFormExposesOneBucket() throws {
        let one = try Fixtures.singleNode(gpus: 2)
        let fast = LinkTier(gbPerSecond: 3600, latencySeconds: 3.3e-6)
        let cluster = ClusterSpec(name: "fast", chip: one.chip, nodes: 1, gpusPerNode: 2, intraNode: fast,
                                  scaleOutGbPerSecond: 50, topology: one.topology, usdPerGpuHour: 2)
        let model = Fixtures.tinyDenseModel()
        let all = 4 * BlockParameters(model: model).rankCounts(blocks: Array(0..<8), first: true, last: true, tp: 1, ep: 1).total
        let reduce = all / 3600e9 + 2 * 3.3e-6
        for overlap in [false, true] {
            let setup = Self.setup(overlap: overlap)
            let estimate = AnalyticalStepEstimator(model: model, base: setup, cluster: cluster)
                .estimate(ParallelConfig(setup: setup, model: model))
            #expect(abs(estimate.dataParallelSeconds / (overlap ? reduce / 8 : reduce) - 1) < 1e-9)
        }
    }
}

/// Tensor-parallel communication overlapped with the GEMMs of its op ([overlap] tensorParallel).
@Suite struct TensorParallelOverlapTests {
    /// An op of a 1 ms GEMM and an overlapped 0.3 ms collective takes 1 ms; with a 1.5 ms
    /// collective, 1.5 ms; exposed (not overlapped), 1.3 ms. Memory-bound work adds either way.
    @Test func overlappedCollectivesHideUnderTheGemms() throws {
        let costs = OpCostModel(cluster: try Fixtures.singleNode(gpus: 2), setup: TrainingSetup())
        let gemm = WorkItem.gemm(4096, 4096, 4096, precision: .bf16)
        let g = costs.seconds(gemm, routes: [])
        for share in [0.3, 1.5] {
            // A collective costing `share` × the GEMM: an all-reduce over 2 ranks of one node, S/B + 2α.
            let bytes = (share * g - 2 * 3.3e-6) * 360e9
            var reduce = WorkItem.collective(.allReduce, group: .tensor, bytes: bytes, ranksPerNode: 2, nodes: 1)
            let c = costs.seconds(reduce, routes: [])
            #expect(abs(c / (share * g) - 1) < 1e-9)
            #expect(abs(costs.seconds(of: [gemm, reduce], routes: []) - (g + c)) < 1e-15)
            reduce.overlapped = true
            #expect(abs(costs.seconds(of: [gemm, reduce], routes: []) - max(g, c)) < 1e-15)
        }
    }

    /// tp = 2, one stage, one micro-batch of the 8-layer model on two GPUs: every op's GEMMs
    /// outlast its all-reduces (8 MiB each, ≈ 30 µs, against ms of GEMMs), so overlap hides them
    /// all: the step shrinks by 8 layers × 4 all-reduces (attention and MLP, forward and
    /// backward) × (8,388,608 / 360e9 + 2 × 3.3e-6) s, and the breakdown's tensorParallel is 0.
    @Test func overlapHidesEveryAllReduceOfAComputeBoundStep() throws {
        let cluster = try Fixtures.singleNode(gpus: 2)
        var setup = Fixtures.pipelineSetup(pp: 1, microBatches: 1, schedule: .oneFOneB)
        setup.tp = 2
        var overlapped = setup
        overlapped.overlapTensorParallel = true
        let plain = try TrainingSimulator(model: Fixtures.tinyDenseModel(), setup: setup, cluster: cluster).run().result
        let hidden = try TrainingSimulator(model: Fixtures.tinyDenseModel(), setup: overlapped, cluster: cluster).run().result
        let expected = 8 * 4 * (8_388_608 / 360e9 + 2 * 3.3e-6)
        let saved = try #require(plain.stepSeconds) - (try #require(hidden.stepSeconds))
        #expect(abs(saved / expected - 1) < 1e-9, "\(saved) vs \(expected)")
        #expect((hidden.breakdown?.exposedCommunicationSeconds[.tensorParallel] ?? 0) == 0)
    }
}

/// Parameter all-gathers prefetched under the forward pass ([overlap] parameterGather), by hand.
@Suite struct ParameterPrefetchTests {
    /// One stage, dp = 2, ZeRO-1, one micro-batch of the 8-layer model.
    static func setup(prefetch: Bool) -> TrainingSetup {
        var setup = Fixtures.pipelineSetup(pp: 1, microBatches: 2, schedule: .oneFOneB)
        setup.dp = 2; setup.zeroStage = 1; setup.overlapParameterGather = prefetch
        return setup
    }

    /// The program: 8 all-gathers first (layers 0…7, together 2·P bytes), none after the
    /// optimizer; each layer's forward is its own op, after an empty op waiting for its gather.
    @Test func gathersComeFirstAndEachForwardWaitsForItsOwn() {
        let model = Fixtures.tinyDenseModel()
        var lowering = TrainingLowering(model: model, setup: Self.setup(prefetch: true), gpusPerNode: 8)
        let program = lowering.lower()
        let ops = Array(program.ops(of: 0))
        let kinds = ops.map { OperationKind(rawValue: program.kind[$0]) }
        #expect(kinds.prefix(8).allSatisfy { $0 == .parameterGather })
        #expect(kinds.dropFirst(8).allSatisfy { $0 != .parameterGather })
        let gathers = ops.prefix(8).flatMap { program.work.items(of: program.segment[$0]) }
        #expect(gathers.map(\.layer) == Array(0..<8).map(Int32.init))
        #expect(abs(gathers.reduce(0) { $0 + $1.bytes } / (2 * lowering.parameters.perStage[0].total) - 1) < 1e-12)
        for (index, gather) in ops.prefix(8).enumerated() {
            let waiting = ops.filter { program.dependency[$0] == Int32(gather) }
            #expect(waiting.count == 1 && program.segment[waiting[0]] == -1, "layer \(index)")
            // The next op on the compute stream is that layer's forward.
            let next = ops.first { $0 > waiting[0] && program.stream[$0] == 0 }.map { program.work.items(of: program.segment[$0]) }
            #expect(next?.contains { $0.kind == .gemm && $0.layer == Int32(index) } == true)
        }
    }

    /// Two GPUs with a 3.6 TB/s link: a layer's gather (≈ 67 MB, ≈ 10 µs) is far shorter than its
    /// forward, so only layer 0's (with the embedding) is exposed, at the start. Without prefetch
    /// the step ends with the all-gather of all 2·P bytes. Ring all-gather of 2 ranks: S/(2B) + α,
    /// so the step shrinks by (S_all − S_0)/(2B).
    @Test func prefetchLeavesOnlyTheFirstBlocksGatherExposed() throws {
        let one = try Fixtures.singleNode(gpus: 2)
        let fast = LinkTier(gbPerSecond: 3600, latencySeconds: 3.3e-6)
        let cluster = ClusterSpec(name: "fast", chip: one.chip, nodes: 1, gpusPerNode: 2, intraNode: fast,
                                  scaleOutGbPerSecond: 50, topology: one.topology, usdPerGpuHour: 2)
        let model = Fixtures.tinyDenseModel()
        let plain = try #require(try TrainingSimulator(model: model, setup: Self.setup(prefetch: false), cluster: cluster).run().result.stepSeconds)
        let hidden = try #require(try TrainingSimulator(model: model, setup: Self.setup(prefetch: true), cluster: cluster).run().result.stepSeconds)
        let blocks = BlockParameters(model: model)
        let all = 2 * blocks.rankCounts(blocks: Array(0..<8), first: true, last: true, tp: 1, ep: 1).total
        let first = 2 * blocks.rankCounts(blocks: [0], first: true, last: false, tp: 1, ep: 1).total
        let expected = (all - first) / (2 * 3600e9)
        #expect(abs((plain - hidden) / expected - 1) < 1e-6, "\(plain - hidden) vs \(expected)")
    }

    /// The closed form: the ZeRO-1 reduce-scatter of 4·P and all-gather of 2·P bytes over two ranks
    /// ((n−1)/n·S/B + α each); prefetching leaves one bucket's share of the all-gather: /8.
    @Test func closedFormExposesOneGatherBucket() throws {
        let one = try Fixtures.singleNode(gpus: 2)
        let fast = LinkTier(gbPerSecond: 3600, latencySeconds: 3.3e-6)
        let cluster = ClusterSpec(name: "fast", chip: one.chip, nodes: 1, gpusPerNode: 2, intraNode: fast,
                                  scaleOutGbPerSecond: 50, topology: one.topology, usdPerGpuHour: 2)
        let model = Fixtures.tinyDenseModel()
        let p = BlockParameters(model: model).rankCounts(blocks: Array(0..<8), first: true, last: true, tp: 1, ep: 1).total
        let scatter = 4 * p / 2 / 3600e9 + 3.3e-6, gather = 2 * p / 2 / 3600e9 + 3.3e-6
        for prefetch in [false, true] {
            let setup = Self.setup(prefetch: prefetch)
            let estimate = AnalyticalStepEstimator(model: model, base: setup, cluster: cluster)
                .estimate(ParallelConfig(setup: setup, model: model))
            #expect(abs(estimate.dataParallelSeconds / (scatter + (prefetch ? gather / 8 : gather)) - 1) < 1e-9)
        }
    }
}

/// Pipeline transfers exposed on the sender ([overlap] pipelineTransfers = false), by hand.
@Suite struct PipelineTransferExposureTests {
    /// pp = 2 on one node of two GPUs; a transfer is t·h·2 = 8,388,608 bytes over NVLink:
    /// 3.3e-6 + 8,388,608/360e9 s. Overlapped (default): the receiving op waits that long after
    /// the sending op. Exposed: the sending op lasts that much longer and the receiver waits for
    /// it alone. With one micro-batch the critical path is the same either way (F0, send, F1, B1,
    /// send, B0); with 4 micro-batches the blocking sends lengthen the step.
    @Test func blockingSendsHoldTheSender() throws {
        let cluster = try Fixtures.singleNode(gpus: 2)
        let model = Fixtures.tinyDenseModel()
        var setup = Fixtures.pipelineSetup(pp: 2, microBatches: 1, schedule: .oneFOneB)
        var exposed = setup
        exposed.overlapPipelineTransfers = false
        var lowering = TrainingLowering(model: model, setup: setup, gpusPerNode: 2)
        let program = lowering.lower()
        let overlapped = OpCostModel(cluster: cluster, setup: setup).cost(program, slowdown: [1, 1])
        let blocking = OpCostModel(cluster: cluster, setup: exposed).cost(program, slowdown: [1, 1])
        let transfer = 3.3e-6 + 8_388_608 / 360e9
        let receivers = (0..<program.count).filter { program.remoteDependency[$0] >= 0 }
        #expect(receivers.count == 2)
        for op in receivers {
            let source = Int(program.remoteDependency[op])
            #expect(abs(Double(overlapped.remoteDelay[op]) / transfer - 1) < 1e-6 && blocking.remoteDelay[op] == 0)
            #expect(abs(blocking.duration[source] - overlapped.duration[source] - transfer) < 1e-12)
        }
        func step(_ setup: TrainingSetup) throws -> Double {
            try #require(try TrainingSimulator(model: model, setup: setup, cluster: cluster).run().result.stepSeconds)
        }
        #expect(abs(try step(setup) - (try step(exposed))) < 1e-6 * (try step(setup)))
        setup.globalBatchSequences = 4
        exposed.globalBatchSequences = 4
        #expect(try step(exposed) > (try step(setup)))
    }
}

/// ZeRO-3 gathering per pass ([parallel] gathers = "forward" | "forwardBackward"), by hand.
@Suite struct ShardedGatherTests {
    static func setup(_ gathers: ShardedGathers, microBatches: Int = 1) -> TrainingSetup {
        var setup = Fixtures.pipelineSetup(pp: 1, microBatches: 2 * microBatches, schedule: .oneFOneB)
        setup.dp = 2; setup.zeroStage = 3; setup.shardedGathers = gathers
        return setup
    }

    /// 8 layers, 2 micro-batches: a gather per layer before each forward (16), and again before
    /// each backward when resharding (32); none after the optimizer; "step" keeps its single one.
    @Test func gathersPerPass() {
        let model = Fixtures.tinyDenseModel()
        for (gathers, count) in [(ShardedGathers.step, 1), (.forward, 16), (.forwardBackward, 32)] {
            var lowering = TrainingLowering(model: model, setup: Self.setup(gathers, microBatches: 2), gpusPerNode: 8)
            let program = lowering.lower()
            let ops = Array(program.ops(of: 0))
            let gathersFound = ops.filter { OperationKind(rawValue: program.kind[$0]) == .parameterGather }
            #expect(gathersFound.count == count, "\(gathers)")
            if gathers != .step {
                let optimizer = ops.first { OperationKind(rawValue: program.kind[$0]) == .optimizer } ?? 0
                #expect(gathersFound.allSatisfy { $0 < optimizer })
            }
        }
    }

    /// Two GPUs, 3.6 TB/s, one micro-batch. "forward": like a prefetch, only layer 0's gather
    /// (with the embedding) is exposed instead of the whole step's at the end: the step shrinks by
    /// (S_all − S_0)/(2B) (ring all-gather of 2: S/(2B) + α). "forwardBackward" adds layer 7's
    /// second gather (with the head) less the head's backward op, which runs before layer 7 needs it.
    @Test func stepsByHand() throws {
        let one = try Fixtures.singleNode(gpus: 2)
        let fast = LinkTier(gbPerSecond: 3600, latencySeconds: 3.3e-6)
        let cluster = ClusterSpec(name: "fast", chip: one.chip, nodes: 1, gpusPerNode: 2, intraNode: fast,
                                  scaleOutGbPerSecond: 50, topology: one.topology, usdPerGpuHour: 2)
        let model = Fixtures.tinyDenseModel()
        func step(_ gathers: ShardedGathers) throws -> Double {
            try #require(try TrainingSimulator(model: model, setup: Self.setup(gathers), cluster: cluster).run().result.stepSeconds)
        }
        let blocks = BlockParameters(model: model)
        let all = 2 * blocks.rankCounts(blocks: Array(0..<8), first: true, last: true, tp: 1, ep: 1).total
        let first = 2 * blocks.rankCounts(blocks: [0], first: true, last: false, tp: 1, ep: 1).total
        let last = 2 * blocks.rankCounts(blocks: [7], first: false, last: true, tp: 1, ep: 1).total
        let perStep = try step(.step), forward = try step(.forward), both = try step(.forwardBackward)
        #expect(abs((perStep - forward) / ((all - first) / (2 * 3600e9)) - 1) < 1e-6)
        let costs = OpCostModel(cluster: cluster, setup: Self.setup(.forwardBackward))
        let work = TrainingWork(model: model, setup: Self.setup(.forwardBackward), gpusPerNode: 2)
        let head = costs.seconds(of: work.headBackward() + [work.headWeight()], routes: [])
        let gather7 = last / (2 * 3600e9) + 3.3e-6
        #expect(abs((both - forward) - max(0, gather7 - head)) < 1e-9 * both, "\(both - forward) vs \(gather7) - \(head)")
    }

    /// The closed form: per micro-batch (here 2) one gather under each forward, and with resharding
    /// one more under each backward, each exposing one bucket's share (/8) on this fast link; the
    /// gradient reduce-scatter of 4·P bytes stays whole.
    @Test func closedFormGathersPerPass() throws {
        let one = try Fixtures.singleNode(gpus: 2)
        let fast = LinkTier(gbPerSecond: 3600, latencySeconds: 3.3e-6)
        let cluster = ClusterSpec(name: "fast", chip: one.chip, nodes: 1, gpusPerNode: 2, intraNode: fast,
                                  scaleOutGbPerSecond: 50, topology: one.topology, usdPerGpuHour: 2)
        let model = Fixtures.tinyDenseModel()
        let p = BlockParameters(model: model).rankCounts(blocks: Array(0..<8), first: true, last: true, tp: 1, ep: 1).total
        let scatter = 4 * p / 2 / 3600e9 + 3.3e-6, gather = 2 * p / 2 / 3600e9 + 3.3e-6
        for (gathers, expected) in [(ShardedGathers.step, scatter + gather), (.forward, scatter + 2 * gather / 8),
                                    (.forwardBackward, scatter + 4 * gather / 8)] {
            let setup = Self.setup(gathers, microBatches: 2)
            let estimate = AnalyticalStepEstimator(model: model, base: setup, cluster: cluster)
                .estimate(ParallelConfig(setup: setup, model: model))
            #expect(abs(estimate.dataParallelSeconds / expected - 1) < 1e-9, "\(gathers)")
        }
    }
}
