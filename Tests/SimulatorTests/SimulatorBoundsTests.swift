import Foundation
import Hardware
import Simulator
import Testing
import Workload

/// Absurd setups are refused by name before any product can overflow, and a step that comes out
/// NaN or infinite names the term instead of passing as a result.
@Suite struct SimulatorBoundsTests {
    static let big = Int.max

    func simulator(_ change: (inout TrainingSetup) -> Void, model: TransformerModel = Fixtures.tinyDenseModel()) throws -> TrainingSimulator {
        var setup = Fixtures.pipelineSetup(pp: 2, microBatches: 4, schedule: .oneFOneB)
        change(&setup)
        return TrainingSimulator(model: model, setup: setup, cluster: try Fixtures.singleNode(gpus: 2))
    }

    static let absurd: [(String, @Sendable (inout TrainingSetup) -> Void)] = [
        ("tp", { $0.tp = big }), ("pp", { $0.pp = big }), ("dp", { $0.dp = big }), ("ep", { $0.ep = big }),
        ("tp", { $0.tp = 1 << 32; $0.pp = 1 << 32; $0.dp = 1 << 32 }),
        ("sequenceLength", { $0.sequenceLength = big }), ("globalBatchSequences", { $0.globalBatchSequences = big }),
        ("microBatchSequences", { $0.microBatchSequences = big }),
        ("virtualStages", { $0.schedule = .interleaved; $0.virtualStages = big }),
        ("tokensToTrain", { $0.tokensToTrain = .nan }), ("tokensToTrain", { $0.tokensToTrain = 1e308 }),
        ("slowdown", { $0.stragglers.slowdown = .infinity }), ("sigma", { $0.stragglers.logNormalSigma = 1e308 }),
        ("zipf", { $0.expertLoad = .zipf(exponent: .infinity) }),
    ]

    @Test(arguments: absurd.indices) func absurdSetupsAreRefusedByName(index: Int) throws {
        let (name, change) = Self.absurd[index]
        let simulator = try simulator(change)
        #expect {
            try simulator.validate()
        } throws: { error in
            (error as? SimulationError)?.description.contains(name) ?? false
        }
    }

    /// Every value within its own bound, but 2 ranks × 2²⁰ micro-batches × 33 blocks per rank is
    /// past the program-size cap.
    @Test func aStepTooLargeToSimulateIsRefused() throws {
        let simulator = try simulator({ $0.globalBatchSequences = 1 << 20 }, model: Fixtures.tinyDenseModel(layers: 64))
        #expect {
            try simulator.run(fold: false)
        } throws: { error in
            (error as? SimulationError)?.description.contains("too large to simulate") ?? false
        }
    }

    @Test func aModelWithAbsurdLayersIsRefusedNotOverflowed() throws {
        let model = Fixtures.tinyDenseModel(layers: Int.max)
        #expect(TrainingSimulator.blocks(of: model) == Int.max)
        #expect(throws: SimulationError.self) { try simulator({ _ in }, model: model).validate() }
    }

    @Test func aVanishingBandwidthNamesTheNonFiniteTerm() throws {
        var cluster = try Fixtures.singleNode(gpus: 8)
        cluster.intraNode = LinkTier(gbPerSecond: 1e-300, latencySeconds: 3.3e-6)
        var setup = Fixtures.pipelineSetup(pp: 2, microBatches: 4, schedule: .oneFOneB)
        setup.dp = 4
        setup.globalBatchSequences = 16
        let result = try TrainingSimulator(model: Fixtures.tinyDenseModel(), setup: setup, cluster: cluster).run().result
        let terms = result.nonFiniteTerms()
        #expect(!terms.isEmpty)
        let message = try #require(result.nonFiniteMessage())
        #expect(message.contains("is not finite") && message.contains(terms[0].term))

        let healthy = try TrainingSimulator(model: Fixtures.tinyDenseModel(), setup: setup, cluster: try Fixtures.singleNode(gpus: 8)).run().result
        #expect(healthy.nonFiniteTerms().isEmpty && healthy.nonFiniteMessage() == nil)
    }

    @Test func powersOfTwoStopBeforeOverflow() {
        #expect(ParallelConfigSpace.powersOfTwo(upTo: Int.max).count == 63)
    }

    @Test(arguments: ["tp=9223372036854775807", "pp=4611686018427387904,dp=4", "dp=0", "ep=-1", "zero=4", "tp", "tp=1=2", "xp=2", "pp=nan", ""])
    func parallelFlagDegreesAreBoundedByTheCluster(text: String) {
        var setup = TrainingSetup()
        #expect {
            try setup.applyParallel(text, gpus: 2048)
        } throws: { error in
            (error as? TrainingSetupError)?.description.hasPrefix("--parallel:") ?? false
        }
    }

    @Test func parallelFlagSetsTheDegrees() throws {
        var setup = TrainingSetup()
        try setup.applyParallel("pp=16, ep=64,dp=128,tp=1,zero=2", gpus: 2048)
        #expect((setup.tp, setup.pp, setup.ep, setup.dp, setup.zeroStage) == (1, 16, 64, 128, 2))
    }
}
