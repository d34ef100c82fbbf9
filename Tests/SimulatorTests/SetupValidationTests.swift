import Config
import Foundation
import Hardware
import Simulator
import Testing
import Workload

/// Every bad input is refused with a message that names the fix.
@Suite struct SetupValidationTests {
    let model: TransformerModel
    let cluster: ClusterSpec
    let base: TrainingSetup

    init() throws {
        model = try Fixtures.model("deepseek-v3")
        cluster = try Fixtures.cluster("h800-2048")
        base = try TrainingSetup(contentsOfFile: Fixtures.train + "/deepseek-v3.toml")
    }

    func message(_ change: (inout TrainingSetup) -> Void, model: TransformerModel? = nil, cluster: ClusterSpec? = nil) -> String {
        var setup = base
        change(&setup)
        do {
            try TrainingSimulator(model: model ?? self.model, setup: setup, cluster: cluster ?? self.cluster).validate()
            return ""
        } catch {
            return error.description
        }
    }

    @Test func theReferenceSetupIsValid() {
        #expect(message { _ in } == "")
    }

    @Test func degreesMustCoverTheCluster() {
        let text = message { $0.dp = 64 }
        #expect(text.contains("tp×pp×dp") && text.contains("2048") && text.contains("set dp=128"))
    }

    @Test func expertParallelismIsCarvedOutOfDataTimesTensor() {
        let text = message { $0.pp = 8; $0.dp = 256; $0.ep = 512 }
        #expect(text.contains("ep=512 must divide dp×tp = 256"))
    }

    @Test func expertParallelismMustDivideTheExperts() {
        let text = message { $0.ep = 128 }   // 256 experts over 128 ranks: fine
        #expect(text == "")
        let mixtral = try! Fixtures.model("mixtral-8x7b")
        let bad = message({ $0.ep = 16; $0.precision = .bf16 }, model: mixtral)
        #expect(bad.contains("does not divide the 8 routed experts"))
    }

    @Test func layersMustSplitOverThePipeline() {
        let tiny = Fixtures.tinyDenseModel(layers: 8)
        let text = message({ $0.pp = 16; $0.ep = 1; $0.dp = 128 }, model: tiny)
        #expect(text.contains("too few to split over pp=16"))
    }

    @Test func dualPipeNeedsEvenStages() {
        let tiny = Fixtures.tinyDenseModel(layers: 64)
        let text = message({ $0.pp = 8; $0.dp = 256; $0.ep = 1; $0.schedule = .dualpipe; $0.globalBatchSequences = 256 * 16 }, model: tiny)
        #expect(text == "")
        let odd = message({ $0.pp = 1; $0.dp = 2048; $0.ep = 1; $0.globalBatchSequences = 2048 * 4 }, model: tiny)
        #expect(odd.contains("even number of pipeline stages") && odd.contains("use pp=2, or another schedule"))
    }

    @Test func dualPipeNeedsEnoughMicroBatches() {
        let text = message { $0.globalBatchSequences = 128 * 30 }
        #expect(text.contains("≥ 2×pp = 32") && text.contains("got 30"))
    }

    @Test func batchMustDivideIntoMicroBatches() {
        let text = message { $0.globalBatchSequences = 15_361 }
        #expect(text.contains("not divisible") && text.contains("multiple of 128"))
    }

    @Test func fp8NeedsFP8Hardware() throws {
        let a800 = try Fixtures.cluster("a800-2048")
        #expect(message({ _ in }, cluster: a800).contains("no FP8 tensor cores"))
    }

    /// 15,360 sequences over dp = 128 are 120 micro-batches, not a multiple of pp = 16: the
    /// interleaved schedule takes them (groups of 16, the last of 8).
    @Test func interleavedTakesMicroBatchCountsThatAreNotMultiplesOfStages() {
        #expect(message { $0.schedule = .interleaved; $0.virtualStages = 2 } == "")
    }

    @Test func unknownModelListsTheKnownOnes() {
        let error = #expect(throws: ConfigError.self) { try TransformerModel.resolveFile("gpt-5", directory: Fixtures.models) }
        let text = error?.description ?? ""
        #expect(text.contains("unknown model 'gpt-5'") && text.contains("deepseek-v3") && text.contains("llama3-70b") && text.contains("mixtral-8x7b"))
    }

    @Test func unknownTrainingKeySuggestsTheRightOne() throws {
        let path = NSTemporaryDirectory() + "frugal-bad-train-\(UUID().uuidString).toml"
        try "sequenceLength = 4096\nglobalBatchSize = 10\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: ConfigError.self) { try TrainingSetup(contentsOfFile: path) }
        #expect(error?.description.contains("globalBatchSize") == true)
        #expect(error?.description.contains(":2:") == true)
    }

    @Test func flagsParseAndReportMistakes() throws {
        var setup = TrainingSetup()
        try setup.applyParallel("pp=16,ep=64,dp=128")
        #expect(setup.pp == 16 && setup.ep == 64 && setup.dp == 128)
        try setup.applySchedule("interleaved(4)")
        #expect(setup.schedule == .interleaved && setup.virtualStages == 4)
        #expect(throws: TrainingSetupError.self) { try setup.applyParallel("pq=2") }
        #expect(throws: TrainingSetupError.self) { try setup.applySchedule("gpipe") }
        #expect(throws: TrainingSetupError.self) { try setup.applyExpertLoad("zipf(x)") }
    }

    /// A setup that does not fit is reported, never timed.
    @Test func aSetupThatDoesNotFitIsNotTimed() throws {
        let llama = try Fixtures.model("llama3-70b")
        let h100 = try Fixtures.cluster("h100-2048")
        var setup = TrainingSetup()
        setup.dp = 2048
        setup.globalBatchSequences = 2048
        setup.zeroStage = 0
        let result = try TrainingSimulator(model: llama, setup: setup, cluster: h100).run().result
        #expect(result.fits == false)
        #expect(result.memoryPerGpuBytes > 80e9)
        #expect(result.stepSeconds == nil && result.mfu == nil && result.costUsd == nil)
        #expect(result.events == 0)
    }
}

@Suite struct ExpertLoadFileTests {
    @Test func histogramFileFromTrainFileAndFlag() throws {
        let directory = NSTemporaryDirectory() + "frugal-hist-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "counts = [8, 1, 1, 1]\n".write(toFile: directory + "/load.toml", atomically: true, encoding: .utf8)
        try """
            [expertLoad]
            kind = "histogram"
            file = "load.toml"
            """.write(toFile: directory + "/train.toml", atomically: true, encoding: .utf8)
        let setup = try TrainingSetup(contentsOfFile: directory + "/train.toml")
        #expect(setup.expertLoad == .histogram(counts: [8, 1, 1, 1]))
        var flagged = TrainingSetup()
        try flagged.applyExpertLoad("histogram:" + directory + "/load.toml")
        #expect(flagged.expertLoad == setup.expertLoad)
        try "counts = [-1]\n".write(toFile: directory + "/bad.toml", atomically: true, encoding: .utf8)
        #expect(throws: TrainingSetupError.self) { try flagged.applyExpertLoad("histogram:" + directory + "/bad.toml") }
        // One count per expert: a 4-count histogram does not describe DeepSeek-V3's 256 experts.
        var deepseek = try TrainingSetup(contentsOfFile: Fixtures.train + "/deepseek-v3.toml")
        deepseek.expertLoad = setup.expertLoad
        let simulator = TrainingSimulator(model: try Fixtures.model("deepseek-v3"), setup: deepseek, cluster: try Fixtures.cluster("h800-2048"))
        #expect(throws: SimulationError.self) { try simulator.validate() }
    }
}
