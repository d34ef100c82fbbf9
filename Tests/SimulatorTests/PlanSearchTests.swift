import Config
import Foundation
import Hardware
import Simulator
import Testing
import Workload

/// `frugal plan`: the search space is exactly the valid grid, memory pruning is the simulator's
/// verdict, the analytical estimate tracks the event simulation, bad input is refused.
@Suite struct PlanSearchTests {
    /// A small MoE model: 8 layers (1 dense), 16 routed experts, top-2, one shared expert.
    static func tinyMoEModel() -> TransformerModel {
        TransformerModel(name: "tiny-moe", layers: 8, hidden: 1024,
                         attention: AttentionSpec(kind: .mha, heads: 16, kvHeads: 16, headDim: 64), denseFfnWidth: 4096,
                         moe: MixtureOfExpertsSpec(leadingDenseLayers: 1, routedExperts: 16, sharedExperts: 1, topK: 2, expertFfnWidth: 512),
                         vocabulary: 1000)
    }

    /// `nodes` nodes of 8 H100s (optionally with less memory, so that some setups do not fit).
    static func cluster(nodes: Int, memoryBytes: Double? = nil) throws -> ClusterSpec {
        var cluster = try Fixtures.singleNode(gpus: 8)
        cluster.nodes = nodes
        if let memoryBytes { cluster.chip.memoryBytes = memoryBytes }
        return cluster
    }

    static func base(globalBatch: Int) -> TrainingSetup {
        var setup = TrainingSetup()
        setup.sequenceLength = 1024
        setup.globalBatchSequences = globalBatch
        return setup
    }

    /// Every combination of degrees 1…N (ep 1…2N) and options, filtered only by the simulator's
    /// validation and the space's node-limit rule.
    static func bruteForce(_ space: ParallelConfigSpace) -> Set<ParallelConfig> {
        let gpus = space.cluster.gpuCount
        var found = Set<ParallelConfig>()
        for tp in 1...gpus { for pp in 1...gpus { for dp in 1...gpus where tp * pp * dp == gpus {
            for ep in 1...(2 * gpus) {
                for limit in [0, 1, 2, 3, 4, 8] where space.model.moe == nil ? limit == 0 : (limit == 0 || (space.routingNodeLimits.contains(limit) && limit < space.nodesSpanned(ep: ep))) {
                    for schedule in [(PipelineScheduleKind.oneFOneB, 1), (.interleaved, 2), (.zb1p, 1), (.dualpipe, 1)] {
                        for microBatch in 1...4 where space.microBatchSizes.contains(microBatch) {
                            for zero in 0...3 { for recompute in RecomputePolicy.allCases { for precision in space.precisions {
                                let config = ParallelConfig(tp: tp, pp: pp, ep: ep, dp: dp, zeroStage: zero, schedule: schedule.0,
                                                            virtualStages: schedule.1, microBatchSequences: microBatch,
                                                            recompute: recompute, precision: precision, routingNodeLimit: limit)
                                if space.isValid(config) { found.insert(config) }
                            }}}
                        }
                    }
                }
            }
        }}}
        return found
    }

    @Test func enumerationIsExactlyTheValidConfigurationsOfATinyMoEModelOn16GPUs() throws {
        var space = ParallelConfigSpace(model: Self.tinyMoEModel(), base: Self.base(globalBatch: 64), cluster: try Self.cluster(nodes: 2))
        space.routingNodeLimits = [1, 2]
        let enumerated = space.validConfigurations()
        #expect(Set(enumerated).count == enumerated.count, "duplicates in the enumeration")
        let expected = Self.bruteForce(space)
        #expect(!expected.isEmpty)
        #expect(Set(enumerated) == expected, "enumerated \(enumerated.count), brute force \(expected.count)")
        // EP16 spans two nodes: limit 1 is below the span, 2 is not (it would change nothing).
        #expect(space.routingNodeLimits(ep: 16) == [0, 1])
        #expect(space.routingNodeLimits(ep: 8) == [0])
        #expect(enumerated.contains { $0.routingNodeLimit == 1 })
    }

    @Test func enumerationIsExactlyTheValidConfigurationsOfATinyDenseModelOn8GPUs() throws {
        let space = ParallelConfigSpace(model: Fixtures.tinyDenseModel(layers: 8), base: Self.base(globalBatch: 32),
                                        cluster: try Self.cluster(nodes: 1))
        let enumerated = space.validConfigurations()
        let expected = Self.bruteForce(space)
        #expect(Set(enumerated) == expected, "enumerated \(enumerated.count), brute force \(expected.count)")
        #expect(enumerated.allSatisfy { $0.ep == 1 && $0.routingNodeLimit == 0 })
    }

    /// A base with cp = 2 on 8 GPUs: the grid shares the other 4 GPUs' worth of degrees, every
    /// valid configuration has tp·pp·dp = 4, and sp (base) stays only where tp > 1.
    @Test func contextParallelismOfTheBaseIsKept() throws {
        var base = Self.base(globalBatch: 32)
        base.cp = 2
        base.sequenceParallel = true
        let space = ParallelConfigSpace(model: Fixtures.tinyDenseModel(layers: 8), base: base, cluster: try Self.cluster(nodes: 1))
        let valid = space.validConfigurations()
        #expect(!valid.isEmpty)
        #expect(valid.allSatisfy { $0.tp * $0.pp * $0.dp == 4 })
        #expect(valid.contains { $0.tp == 1 } && valid.contains { $0.tp == 4 })
        #expect(valid.allSatisfy { $0.applied(to: base).sequenceParallel == ($0.tp > 1) })
    }

    @Test func nodeLimitsAreOnlyThoseBelowTheExpertGroupSpan() throws {
        let space = ParallelConfigSpace(model: try Fixtures.model("deepseek-v3"), base: Self.base(globalBatch: 15360),
                                        cluster: try Fixtures.cluster("h800-2048"))
        #expect(space.routingNodeLimits(ep: 8) == [0])
        #expect(space.routingNodeLimits(ep: 32) == [0, 2])
        #expect(space.routingNodeLimits(ep: 64) == [0, 2, 4])
        #expect(space.routingNodeLimits(ep: 256) == [0, 2, 4, 8])
    }

    @Test func memoryPruningGivesTheSimulatorsVerdict() throws {
        // 7 GB chips: the 4 GB workspace leaves 3 GB, so some configurations fit and some do not.
        let space = ParallelConfigSpace(model: Self.tinyMoEModel(), base: Self.base(globalBatch: 64),
                                        cluster: try Self.cluster(nodes: 2, memoryBytes: 7e9))
        let search = PlanSearch(space: space)
        let valid = space.validConfigurations()
        let sample = stride(from: 0, to: valid.count, by: max(1, valid.count / 40)).map { valid[$0] }
        var fits = 0, misses = 0
        for config in sample {
            let memory = search.memory(of: config)
            let result = try TrainingSimulator(model: config.applied(to: space.model), setup: config.applied(to: space.base),
                                               cluster: space.cluster).run().result
            #expect(memory.fits == result.fits, "\(config)")
            #expect(memory.totalBytes == result.memoryPerGpuBytes, "\(config)")
            if memory.fits { fits += 1 } else { misses += 1 }
        }
        #expect(fits > 0 && misses > 0, "the sample should have both verdicts (fits \(fits), not \(misses))")
    }

    /// The analytical estimate is within 1.3× of the event simulation (either way) for a spread of
    /// schedules, degrees and recompute policies.
    @Test func analyticalEstimateIsWithinAFactorOfTheSimulation() throws {
        let space = ParallelConfigSpace(model: Self.tinyMoEModel(), base: Self.base(globalBatch: 64), cluster: try Self.cluster(nodes: 2))
        let estimator = AnalyticalStepEstimator(model: space.model, base: space.base, cluster: space.cluster)
        let configs = [
            ParallelConfig(tp: 1, pp: 2, ep: 8, dp: 8, zeroStage: 1, schedule: .oneFOneB, virtualStages: 1, microBatchSequences: 1,
                           recompute: .none, precision: .bf16, routingNodeLimit: 0),
            ParallelConfig(tp: 1, pp: 4, ep: 4, dp: 4, zeroStage: 1, schedule: .dualpipe, virtualStages: 1, microBatchSequences: 2,
                           recompute: .selective, precision: .fp8, routingNodeLimit: 0),
            ParallelConfig(tp: 2, pp: 2, ep: 8, dp: 4, zeroStage: 0, schedule: .interleaved, virtualStages: 2, microBatchSequences: 1,
                           recompute: .full, precision: .bf16, routingNodeLimit: 0),
            ParallelConfig(tp: 1, pp: 4, ep: 4, dp: 4, zeroStage: 2, schedule: .zb1p, virtualStages: 1, microBatchSequences: 1,
                           recompute: .none, precision: .fp8, routingNodeLimit: 0),
            ParallelConfig(tp: 1, pp: 1, ep: 16, dp: 16, zeroStage: 1, schedule: .oneFOneB, virtualStages: 1, microBatchSequences: 4,
                           recompute: .none, precision: .bf16, routingNodeLimit: 0),
        ]
        for config in configs {
            #expect(space.isValid(config), "\(config)")
            let simulated = try #require(try TrainingSimulator(model: config.applied(to: space.model), setup: config.applied(to: space.base),
                                                               cluster: space.cluster).run().result.stepSeconds)
            let estimated = estimator.estimate(config).stepSeconds
            let ratio = estimated / simulated
            #expect(ratio > 1 / 1.3 && ratio < 1.3, "\(config): estimate \(estimated) s, simulated \(simulated) s")
        }
    }

    /// DeepSeek-V3's own setup: the estimate is within 15% of the simulated (≈19.7 s) step.
    @Test func analyticalEstimateOfTheDeepSeekV3Setup() throws {
        let model = try Fixtures.model("deepseek-v3"), cluster = try Fixtures.cluster("h800-2048")
        let setup = try TrainingSetup(contentsOfFile: Fixtures.train + "/deepseek-v3.toml")
        let config = ParallelConfig(setup: setup, model: model)
        #expect(config.description == "tp1 pp16 ep64 dp128 z1 dualpipe mb1 selective fp8 nl4")
        let estimate = AnalyticalStepEstimator(model: model, base: setup, cluster: cluster).estimate(config)
        #expect(abs(estimate.stepSeconds / 19.69 - 1) < 0.15, "estimate \(estimate.stepSeconds) s")
        let space = ParallelConfigSpace(model: model, base: setup, cluster: cluster)
        #expect(space.isValid(config))
        #expect(space.grid().contains(config))
    }

    @Test func badListsAreRefusedWithTheFlagNamed() {
        for text in ["1,x", "0", "", "2,-4", "1,,2"] {
            do {
                _ = try ParallelConfigSpace.parsePositiveList(text, flag: "--micro-batches")
                Issue.record("'\(text)' accepted")
            } catch {
                #expect(error.description.hasPrefix("--micro-batches: expected a comma-separated list of positive integers"), "\(error)")
            }
        }
        #expect((try? ParallelConfigSpace.parsePositiveList("4, 1,2,2", flag: "--micro-batches")) == [1, 2, 4])
    }

    @Test func limitingFactorNamesTheLargestOverhead() throws {
        let space = ParallelConfigSpace(model: Self.tinyMoEModel(), base: Self.base(globalBatch: 16), cluster: try Self.cluster(nodes: 2))
        // 8 stages of 1F1B with 16 micro-batches: the bubble dominates.
        let config = ParallelConfig(tp: 1, pp: 8, ep: 2, dp: 2, zeroStage: 1, schedule: .oneFOneB, virtualStages: 1, microBatchSequences: 1,
                                    recompute: .none, precision: .bf16, routingNodeLimit: 0)
        let result = try TrainingSimulator(model: space.model, setup: config.applied(to: space.base), cluster: space.cluster).run().result
        #expect(PlanSearch.limitingFactor(result).hasPrefix("bubble"), "\(PlanSearch.limitingFactor(result))")
    }
}

/// What a candidate keeps of its base setup.
struct ParallelConfigAppliedTests {
    /// The base's per-stage layers describe its own pipeline and its per-pass ZeRO-3 gathers need
    /// ZeRO-3: a candidate with another pp, or another ZeRO stage, gets the defaults instead of a
    /// setup that would fail validation (and be dropped from the search without a word).
    @Test func stageLayersAndGathersFollowTheCandidate() {
        var base = TrainingSetup()
        base.pp = 2; base.stageLayers = [4, 4]; base.zeroStage = 3; base.shardedGathers = .forward
        func config(pp: Int, zero: Int) -> ParallelConfig {
            ParallelConfig(tp: 1, pp: pp, ep: 1, dp: 4, zeroStage: zero, schedule: .oneFOneB, virtualStages: 1,
                           microBatchSequences: 1, recompute: .none, precision: .bf16, routingNodeLimit: 0)
        }
        let same = config(pp: 2, zero: 3).applied(to: base)
        #expect(same.stageLayers == [4, 4] && same.shardedGathers == .forward)
        let other = config(pp: 4, zero: 1).applied(to: base)
        #expect(other.stageLayers.isEmpty && other.shardedGathers == .step)
    }

    /// Counts per virtual stage (pp·v = 4 for pp 2 × interleaved(2)) describe that pipeline only:
    /// kept by interleaved(2) at pp 2; dropped at interleaved(4) (8 positions), at 1F1B (2
    /// positions, where a count of 4 means nothing) and at pp 4.
    @Test func stageLayersPerVirtualStageFollowTheCandidate() {
        var base = TrainingSetup()
        base.pp = 2; base.schedule = .interleaved; base.virtualStages = 2; base.stageLayers = [0, 4, 4, 0]
        func config(pp: Int, schedule: PipelineScheduleKind, v: Int) -> ParallelConfig {
            ParallelConfig(tp: 1, pp: pp, ep: 1, dp: 4, zeroStage: 1, schedule: schedule, virtualStages: v,
                           microBatchSequences: 1, recompute: .none, precision: .bf16, routingNodeLimit: 0)
        }
        #expect(config(pp: 2, schedule: .interleaved, v: 2).applied(to: base).stageLayers == [0, 4, 4, 0])
        #expect(config(pp: 2, schedule: .interleaved, v: 4).applied(to: base).stageLayers.isEmpty)
        #expect(config(pp: 2, schedule: .oneFOneB, v: 1).applied(to: base).stageLayers.isEmpty)
        #expect(config(pp: 4, schedule: .interleaved, v: 2).applied(to: base).stageLayers.isEmpty)
    }
}

