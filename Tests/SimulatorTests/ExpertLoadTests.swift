import Foundation
import Hardware
import Simulator
import Testing
import Workload

/// All-to-all with one hot expert, checked by hand on one 8-GPU node: 8 experts, one per rank,
/// top-2, tokens T per rank; expert 0 gets H = 8 times the load of each other expert.
@Suite struct ExpertLoadTests {
    static let model = TransformerModel(
        name: "moe", layers: 2, hidden: 1024,
        attention: AttentionSpec(kind: .mha, heads: 8, kvHeads: 8, headDim: 128),
        denseFfnWidth: 4096, moe: MixtureOfExpertsSpec(leadingDenseLayers: 0, routedExperts: 8, sharedExperts: 0, topK: 2, expertFfnWidth: 2048),
        vocabulary: 8)

    func setup(load: ExpertLoadModel) -> TrainingSetup {
        var setup = TrainingSetup()
        setup.sequenceLength = 1024
        setup.globalBatchSequences = 32
        setup.dp = 8
        setup.ep = 8
        setup.expertLoad = load
        return setup
    }

    @Test func hotExpertAllToAllByHand() throws {
        let cluster = try Fixtures.singleNode(gpus: 8)
        let hot = ExpertLoadModel.histogram(counts: [8, 1, 1, 1, 1, 1, 1, 1])
        let costs = BlockCostModel(model: Self.model, setup: setup(load: hot), cluster: cluster)
        let t = 1024.0, k = 2.0, h = 1024.0, bytes = 2.0
        // The hot rank receives T·8·k·(8/15) token copies; 7/8 of them cross NVLink.
        let hotPairs = t * 8 * k * 8 / 15
        let expected = hotPairs * 7 / 8 * h * bytes / 360e9 + 3.3e-6
        #expect(abs(costs.allToAllSeconds(block: 0, elementBytes: 2) - expected) < 1e-12)
        // Uniform: every rank sends and receives T·k copies.
        let uniform = BlockCostModel(model: Self.model, setup: setup(load: .uniform), cluster: cluster)
        let uniformExpected = t * k * 7 / 8 * h * bytes / 360e9 + 3.3e-6
        #expect(abs(uniform.allToAllSeconds(block: 0, elementBytes: 2) - uniformExpected) < 1e-12)
    }

    @Test func hotExpertSlowsTheStepAndShowsAsImbalance() throws {
        let cluster = try Fixtures.singleNode(gpus: 8)
        let uniform = try TrainingSimulator(model: Self.model, setup: setup(load: .uniform), cluster: cluster).run().result
        let hot = try TrainingSimulator(model: Self.model, setup: setup(load: .histogram(counts: [8, 1, 1, 1, 1, 1, 1, 1])), cluster: cluster).run().result
        #expect(try #require(hot.stepSeconds) > #require(uniform.stepSeconds) * 1.2)
        #expect(try #require(uniform.breakdown).imbalanceWaitSeconds < 1e-9)
        #expect(try #require(hot.breakdown).imbalanceWaitSeconds > 0)
    }

    @Test func zipfLoadIsSeededAndDeterministic() throws {
        let cluster = try Fixtures.singleNode(gpus: 8)
        let a = try TrainingSimulator(model: Self.model, setup: setup(load: .zipf(exponent: 1.2)), cluster: cluster).run().result
        let b = try TrainingSimulator(model: Self.model, setup: setup(load: .zipf(exponent: 1.2)), cluster: cluster).run().result
        #expect(a.stepSeconds == b.stepSeconds)
        let shares = ExpertLoadModel.zipf(exponent: 1).shares(experts: 4, permutation: [2, 0, 1, 3])
        #expect(abs(shares.reduce(0, +) - 1) < 1e-12)
        #expect(shares[2] > shares[0] && shares[0] > shares[1] && shares[1] > shares[3])
    }

    @Test func aSlowRankDelaysEveryone() throws {
        let cluster = try Fixtures.singleNode(gpus: 8)
        var slow = setup(load: .uniform)
        slow.stragglers = StragglerModel(slowRanks: [3], slowdown: 1.5)
        let base = try TrainingSimulator(model: Self.model, setup: setup(load: .uniform), cluster: cluster).run().result
        let result = try TrainingSimulator(model: Self.model, setup: slow, cluster: cluster).run().result
        #expect(try #require(result.stepSeconds) > #require(base.stepSeconds) * 1.2)
        #expect(try #require(result.breakdown).imbalanceWaitSeconds > 0)
    }
}
