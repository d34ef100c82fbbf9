import Hardware
import Program
import Simulator
import Testing
import Workload

/// Memory per GPU under sequence and context parallelism, by hand.
@Suite struct MemoryEstimateTests {
    /// 8 dense layers, h = 2048, 16 MHA heads of 128, FFN 8192 (SwiGLU), vocabulary 8; BF16, no
    /// recompute, one 2048-token micro-batch on one stage (1F1B holds one micro-batch).
    static func estimate(tp: Int = 1, cp: Int = 1, sp: Bool = false, recompute: RecomputePolicy = .none,
                         software: SoftwareProfile = .deepseekV3) -> MemoryEstimate {
        let model = Fixtures.tinyDenseModel()
        var setup = Fixtures.pipelineSetup(pp: 1, microBatches: 1, schedule: .oneFOneB)
        setup.tp = tp; setup.cp = cp; setup.sequenceParallel = sp; setup.recompute = recompute; setup.software = software
        let layout = PipelineLayout(model: model, setup: setup)
        let parameters = RankParameters(model: model, setup: setup, layout: layout, gpusPerNode: 8)
        return MemoryEstimate.estimate(model: model, setup: setup, layout: layout, parameters: parameters, capacityBytes: 80e9)
    }

    /// Per token and layer at tp = 2 (bytes): residual input 2h = 4096 and norm output 4096 for
    /// each of attention and MLP (the tensors TP leaves whole: Korthikanti et al. 2022's 10·sbh
    /// term for GPT); Q, K, V 2·(16+2·16)·128/2 = 6144; attention output 2·8·128 = 2048 and
    /// softmax statistics 4·8 = 32; SwiGLU inputs 2·2·4096 = 16384 and output 2·4096 = 8192.
    /// Without SP: 4·4096 + 6144 + 2080 + 24576 = 49,184; × 2048 tokens × 8 layers = 805,830,656.
    /// With SP the four whole terms become 2h/tp = 2048: 40,992 → 671,612,928.
    /// Unfused attention without recompute also keeps the softmax output: per token and layer 8
    /// local heads (tp = 2) × 2048 keys × 2 bytes = 32,768 (with attention dropout its mask and
    /// output too: × 5/2 = 81,920, Korthikanti et al.'s 5as/h·(h/t)); × 2048 tokens × 8 layers.
    /// Selective recompute redoes the core: nothing more kept.
    @Test func unfusedAttentionKeepsItsScores() {
        var unfused = SoftwareProfile.deepseekV3
        unfused.attention = .unfused
        #expect(Self.estimate(tp: 2, software: unfused).activationsBytes == 805_830_656 + 8 * 2048 * 32_768)
        unfused.attentionDropout = true
        #expect(Self.estimate(tp: 2, software: unfused).activationsBytes == 805_830_656 + 8 * 2048 * 81_920)
        #expect(Self.estimate(tp: 2, recompute: .selective, software: unfused).activationsBytes
                == Self.estimate(tp: 2, recompute: .selective).activationsBytes)
    }

    @Test func sequenceParallelShardsTheTensorsTensorParallelismLeavesWhole() {
        #expect(Self.estimate(tp: 2).activationsBytes == 805_830_656)
        #expect(Self.estimate(tp: 2, sp: true).activationsBytes == 671_612_928)
        // Full recompute keeps only the block input, 2h = 4096 (SP: 2048) per token and layer, plus one
        // block's full activations while it is recomputed (49,184 or 40,992 per token × 2048).
        #expect(Self.estimate(tp: 2, recompute: .full).activationsBytes == 8 * 2048 * 4096 + 2048 * 49_184)
        #expect(Self.estimate(tp: 2, sp: true, recompute: .full).activationsBytes == 8 * 2048 * 2048 + 2048 * 40_992)
    }

    /// tp = 1: 4·4096 + Q/K/V 2·48·128 = 12,288 + attention output 4096 and statistics 64 + SwiGLU
    /// 2·2·8192 + 2·8192 = 49,152 → 81,984 bytes per token and layer; cp = 2 holds 1024 of the 2048
    /// tokens: 8 · 1024 · 81,984 = 671,612,928 (half of cp = 1's 1,343,225,856). ZeRO-1 shards the
    /// optimizer over dp·cp = 2 ranks: half of one rank's.
    @Test func contextParallelismDividesActivationsAndShardsOverTheGradientGroup() {
        let one = Self.estimate(), two = Self.estimate(cp: 2)
        #expect(one.activationsBytes == 1_343_225_856)
        #expect(two.activationsBytes == 671_612_928)
        #expect(two.optimizerBytes == one.optimizerBytes / 2)
        #expect(two.weightsBytes == one.weightsBytes)
    }

    /// ZeRO-3 keeps the rank's shard of the BF16 weights plus the copy its gathers hold. Tiny model,
    /// tp = 1, dp = 4, one stage: a layer holds Q, K, V, O 4·2048² = 16,777,216, SwiGLU 3·2048·8192 =
    /// 50,331,648 and two norms 2·2048 = 4,096: 67,112,960; the embedding 8·2048 = 16,384 rides on
    /// the first layer, the head 16,384 and final norm 2,048 on the last (67,131,392 each);
    /// all 8 layers with both: 536,903,680 + 16,384 + 18,432 = 536,938,496 parameters.
    /// step / forward: shard + everything, 2 B × (536,938,496 / 4 + 536,938,496); forwardBackward:
    /// shard + the largest block and the next one prefetched, 2 B × (536,938,496 / 4 + 2 · 67,131,392).
    /// Below ZeRO-3 the weights are whole: 2 B × 536,938,496, whatever the gathers.
    @Test func zeroThreeHoldsTheGatheredCopyItsGathersKeep() throws {
        let model = Fixtures.tinyDenseModel()
        func weights(zero: Int, gathers: ShardedGathers) -> Double {
            var setup = Fixtures.pipelineSetup(pp: 1, microBatches: 4, schedule: .oneFOneB)
            setup.dp = 4
            setup.zeroStage = zero
            setup.shardedGathers = gathers
            let layout = PipelineLayout(model: model, setup: setup)
            let parameters = RankParameters(model: model, setup: setup, layout: layout, gpusPerNode: 8)
            return MemoryEstimate.estimate(model: model, setup: setup, layout: layout, parameters: parameters,
                                           capacityBytes: 80e9).weightsBytes
        }
        let all = 536_938_496.0, block = 67_131_392.0
        #expect(weights(zero: 3, gathers: .step) == 2 * (all / 4 + all))
        #expect(weights(zero: 3, gathers: .forward) == 2 * (all / 4 + all))
        #expect(weights(zero: 3, gathers: .forwardBackward) == 2 * (all / 4 + 2 * block))
        #expect(weights(zero: 1, gathers: .step) == 2 * all)
        // One layer: its block carries the embedding and the head and final norm too, 67,112,960 +
        // 16,384 + 18,432 = 67,147,776; "this block and the next" is capped at the stage's weights.
        let one = TransformerModel(name: "one", layers: 1, hidden: 2048,
                                   attention: AttentionSpec(kind: .mha, heads: 16, kvHeads: 16, headDim: 128),
                                   denseFfnWidth: 8192, vocabulary: 8)
        var setup = Fixtures.pipelineSetup(pp: 1, microBatches: 4, schedule: .oneFOneB)
        setup.dp = 4; setup.zeroStage = 3; setup.shardedGathers = .forwardBackward
        let layout = PipelineLayout(model: one, setup: setup)
        let parameters = RankParameters(model: one, setup: setup, layout: layout, gpusPerNode: 8)
        let single = 67_112_960.0 + 16_384 + 18_432
        #expect(parameters.largestBlock == [single])
        #expect(MemoryEstimate.estimate(model: one, setup: setup, layout: layout, parameters: parameters,
                                        capacityBytes: 80e9).weightsBytes == 2 * (single / 4 + single))
    }

    /// DualPipe: a stage and its mirror hold the same weights and shard them together (as the
    /// program's optimizer does), so at ZeRO-1 a rank keeps 12 B × its parameters / (dp · 2) of
    /// optimizer state: with pp = 2 and dp = 2 a quarter of its parameters' 12 B (a 1F1B rank, a
    /// half), gradients and weights whole.
    @Test func dualPipeShardsOverBothMirrorStages() {
        let model = Fixtures.tinyDenseModel()
        var setup = Fixtures.pipelineSetup(pp: 2, microBatches: 4, schedule: .dualpipe)
        setup.dp = 2
        setup.globalBatchSequences = 8
        setup.zeroStage = 1
        let layout = PipelineLayout(model: model, setup: setup)
        let parameters = RankParameters(model: model, setup: setup, layout: layout, gpusPerNode: 8)
        let held = parameters.perStage[0].total
        #expect(held == parameters.perStage[1].total && held > 0)
        let estimate = MemoryEstimate.estimate(model: model, setup: setup, layout: layout, parameters: parameters, capacityBytes: 80e9)
        #expect(abs(estimate.optimizerBytes - 12 * held / 4) <= 1e-9 * estimate.optimizerBytes)
        #expect(abs(estimate.gradientsBytes - 4 * held) <= 1e-9 * estimate.gradientsBytes)
        #expect(abs(parameters.optimizerShard(stage: 0, zeroStage: 1) - held / 4) <= 1e-9 * held)
    }

    /// MoE with tp = 2 and SP: the routed tokens' tensors are per the rank's 1/tp of the tokens.
    /// One MoE layer (no dense), h = 64, 4 MHA heads of 16, 8 experts of width 32, top-2, one shared,
    /// BF16, no recompute; 256 tokens. Per token (bytes): whole terms 4 × 2h/tp = 4 × 64 = 256
    /// (SP); Q, K, V 2·(4+8)·16/2 = 192; attention output 2·2·16 = 64, statistics 4·2 = 8; MoE:
    /// router 4·8 = 32, dispatched 2·2·64 = 256, SwiGLU inputs 2·3·2·32 = 384, outputs 2·3·32 =
    /// 192: 864, /2 = 432 with SP. Total 256 + 192 + 72 + 432 = 952; × 256 tokens = 243,712.
    @Test func sequenceParallelShardsTheMoELayersTokens() {
        let model = TransformerModel(name: "moe", layers: 1, hidden: 64,
                                     attention: AttentionSpec(kind: .mha, heads: 4, kvHeads: 4, headDim: 16), denseFfnWidth: 128,
                                     moe: MixtureOfExpertsSpec(leadingDenseLayers: 0, routedExperts: 8, sharedExperts: 1, topK: 2,
                                                               expertFfnWidth: 32), vocabulary: 8)
        var setup = TrainingSetup()
        setup.sequenceLength = 256; setup.globalBatchSequences = 1; setup.tp = 2; setup.sequenceParallel = true
        let layout = PipelineLayout(model: model, setup: setup)
        let parameters = RankParameters(model: model, setup: setup, layout: layout, gpusPerNode: 8)
        let estimate = MemoryEstimate.estimate(model: model, setup: setup, layout: layout, parameters: parameters, capacityBytes: 80e9)
        #expect(estimate.activationsBytes == 243_712)
    }
}
