import Config
import Foundation
import TestSupport
import Testing
@testable import Workload

/// Every number key of model and training files against hostile values, the `--parallel` and
/// `--schedule` parsers, and the products they feed.
@Suite struct ModelTrainingBoundsTests {
    // MARK: Model files

    static let model = TOMLSketch(sections: [
        ("", [("name", "\"m\""), ("layers", "4"), ("hidden", "64"), ("denseFfnWidth", "128"), ("vocabulary", "1000"),
              ("mtpModules", "1")]),
        ("[attention]", [("kind", "\"mla\""), ("heads", "4"), ("qLoraRank", "32"), ("kvLoraRank", "16"), ("qkNopeHeadDim", "8"),
                         ("qkRopeHeadDim", "8"), ("vHeadDim", "8")]),
        ("[moe]", [("leadingDenseLayers", "1"), ("routedExperts", "8"), ("sharedExperts", "1"), ("topK", "2"),
                   ("expertFfnWidth", "32"), ("routingNodeLimit", "2")]),
    ])

    static func modelError(_ text: String) -> ConfigError? {
        do {
            _ = try TransformerModel(document: ConfigDocument(text: text, file: "model.toml"))
            return nil
        } catch {
            return error
        }
    }

    @Test func theSketchIsAValidModel() {
        #expect(Self.modelError(Self.model.text) == nil)
    }

    @Test(arguments: Hostile.cases(["layers", "hidden", "denseFfnWidth", "vocabulary", "mtpModules",
                                    "[attention]/heads", "[attention]/qLoraRank", "[attention]/kvLoraRank", "[attention]/qkNopeHeadDim",
                                    "[attention]/qkRopeHeadDim", "[attention]/vHeadDim",
                                    "[moe]/leadingDenseLayers", "[moe]/routedExperts", "[moe]/sharedExperts", "[moe]/topK",
                                    "[moe]/expertFfnWidth", "[moe]/routingNodeLimit", "[moe]/routingDeviceLimit"],
                                   accepting: ["mtpModules": ["0"], "[attention]/qLoraRank": ["0"], "[moe]/leadingDenseLayers": ["0"],
                                               "[moe]/sharedExperts": ["0"], "[moe]/routingNodeLimit": ["0"],
                                               "[moe]/routingDeviceLimit": ["0"]]))
    func modelKeys(hostile: Hostile.Case) {
        let error = Self.modelError(Self.model.setting(hostile.key, to: hostile.value))
        #expect(error?.keyPath == TOMLSketch.keyPath(hostile.key), "\(hostile): \(error.map(String.init(describing:)) ?? "accepted")")
    }

    @Test(arguments: Hostile.cases(["[attention]/kvHeads", "[attention]/headDim"]))
    func gqaKeys(hostile: Hostile.Case) {
        var sketch = Self.model
        sketch.sections[1].keys = [("kind", "\"gqa\""), ("heads", "8"), ("kvHeads", "2"), ("headDim", "16")]
        let error = Self.modelError(sketch.setting(hostile.key, to: hostile.value))
        #expect(error?.keyPath == TOMLSketch.keyPath(hostile.key), "\(hostile): \(error.map(String.init(describing:)) ?? "accepted")")
    }

    @Test func everyKeyInRangeButTheModelTooLargeToCount() throws {
        // Each key within its bound; together 10⁴ layers × 65536 experts × 2²⁰ × 2²⁰ would
        // overflow `totalParameters`.
        var text = Self.model.setting("layers", to: "10000")
        for (key, value) in [("hidden", "1048576"), ("[moe]/routedExperts", "65536"), ("[moe]/expertFfnWidth", "1048576")] {
            text = TOMLSketch(sections: Self.sections(of: text)).setting(key, to: value)
        }
        let error = Self.modelError(text)
        #expect(error?.keyPath == "layers")
        #expect(error?.expected.contains("2^53") == true)
        let shipped = try TransformerModel(contentsOfFile: Self.repository + "/Cluster/models/deepseek-v3.toml")
        #expect(shipped.totalParameters > 600_000_000_000)
    }

    /// Re-reads a sketch's text into sections (keys `a = b` under `[header]` lines).
    static func sections(of text: String) -> [(header: String, keys: [(String, String)])] {
        var sections: [(header: String, keys: [(String, String)])] = [("", [])]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("[") { sections.append((String(line), [])); continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { sections[sections.count - 1].keys.append((parts[0], parts[1])) }
        }
        return sections
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    // MARK: Training files

    static let training = TOMLSketch(sections: [
        ("", [("sequenceLength", "4096"), ("globalBatch", "64"), ("microBatch", "1"), ("tokensToTrain", "1e12"),
              ("communicationSMs", "0"), ("seed", "1"), ("schedule", "\"1f1b\"")]),
        ("[parallel]", [("tp", "1"), ("pp", "2"), ("ep", "1"), ("dp", "2"), ("cp", "1"), ("zero", "1")]),
        ("[stragglers]", [("ranks", "[1]"), ("slowdown", "2"), ("logNormalSigma", "0.1")]),
        ("[expertLoad]", [("kind", "\"zipf\""), ("s", "1.0")]),
        ("[software]", [("profile", "\"megatron-2022\""), ("kernelLaunchUs", "2")]),
    ])

    static func trainingError(_ text: String) -> ConfigError? {
        let path = NSTemporaryDirectory() + "frugal-train-\(UUID().uuidString).toml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            _ = try TrainingSetup(contentsOfFile: path)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("\(error)")
            return nil
        }
    }

    @Test func theTrainingSketchIsValid() {
        #expect(Self.trainingError(Self.training.text) == nil)
    }

    @Test(arguments: Hostile.cases(["sequenceLength", "globalBatch", "microBatch", "tokensToTrain", "communicationSMs", "seed",
                                    "[parallel]/tp", "[parallel]/pp", "[parallel]/ep", "[parallel]/dp", "[parallel]/cp", "[parallel]/zero",
                                    "[stragglers]/slowdown", "[stragglers]/logNormalSigma", "[expertLoad]/s",
                                    "[software]/kernelLaunchUs"],
                                   accepting: ["communicationSMs": ["0"], "[software]/kernelLaunchUs": ["0", "1e-300"], "seed": ["0", "9223372036854775807"], "[parallel]/zero": ["0"],
                                               "[stragglers]/logNormalSigma": ["0", "1e-300"]]))
    func trainingKeys(hostile: Hostile.Case) {
        let error = Self.trainingError(Self.training.setting(hostile.key, to: hostile.value))
        #expect(error?.keyPath == TOMLSketch.keyPath(hostile.key), "\(hostile): \(error.map(String.init(describing:)) ?? "accepted")")
    }

    @Test(arguments: Hostile.values)
    func stragglerRankElements(value: String) {
        let error = Self.trainingError(Self.training.setting("[stragglers]/ranks", to: "[0, \(value)]"))
        #expect(error?.keyPath == "stragglers.ranks[1]" || (value == "0" && error == nil), "\(value)")
    }

    @Test(arguments: Hostile.values)
    func stageLayersElements(value: String) {
        // The sketch has pp = 2: two counts, each a layer count in 0...10⁴ (0 is the file's to
        // give: only an interleaved pipeline's end virtual stages may hold none, which the setup's
        // validation checks against the model).
        let error = Self.trainingError(Self.training.setting("stageLayers", to: "[3, \(value)]"))
        if value == "0" {
            #expect(error == nil, "0: \(error.map(String.init(describing:)) ?? "")")
        } else {
            #expect(error?.keyPath == "stageLayers[1]", "\(value): \(error.map(String.init(describing:)) ?? "accepted")")
        }
    }

    @Test func placementOrderNamesEachDimensionOnce() throws {
        #expect(Self.trainingError(Self.training.setting("[parallel]/order", to: "\"tp,cp,pp,dp\"")) == nil)
        #expect(Self.trainingError(Self.training.setting("[parallel]/order", to: "\"tp-cp-dp-pp\"")) == nil)
        for (text, says) in [("tp,pp,dp", "cp missing"), ("tp,cp,tp,dp,pp", "tp appears twice"), ("tp,cp,ep,dp,pp", "ep is not placed"),
                             ("tp,cp,xp,dp,pp", "'xp' is not a dimension"), ("", "missing")] {
            let error = Self.trainingError(Self.training.setting("[parallel]/order", to: "\"\(text)\""))
            #expect(error?.keyPath == "parallel.order" && error?.hint?.contains(says) == true, "\(text): \(String(describing: error))")
        }
        #expect(Self.trainingError(Self.training.setting("[parallel]/order", to: "1"))?.keyPath == "parallel.order")
        #expect(try ParallelDimension.parseOrder("PP, DP, CP, TP") == [.pp, .dp, .cp, .tp])
    }

    @Test func overlapTableTakesGradientReduce() {
        #expect(Self.trainingError(Self.training.setting("[overlap]/gradientReduce", to: "true")) == nil)
        for hostile in ["1", "\"yes\"", "nan"] {
            #expect(Self.trainingError(Self.training.setting("[overlap]/gradientReduce", to: hostile))?.keyPath == "overlap.gradientReduce")
        }
        #expect(Self.trainingError(Self.training.setting("[overlap]/tensorParallel", to: "true")) == nil)
        #expect(Self.trainingError(Self.training.setting("[overlap]/tensorParallel", to: "2"))?.keyPath == "overlap.tensorParallel")
        #expect(Self.trainingError(Self.training.setting("[overlap]/parameterGather", to: "true")) == nil)
        #expect(Self.trainingError(Self.training.setting("[overlap]/parameterGather", to: "0"))?.keyPath == "overlap.parameterGather")
        #expect(Self.trainingError(Self.training.setting("[overlap]/pipelineTransfers", to: "false")) == nil)
        #expect(Self.trainingError(Self.training.setting("[overlap]/pipelineTransfers", to: "\"no\""))?.keyPath == "overlap.pipelineTransfers")
        #expect(Self.trainingError(Self.training.setting("[overlap]/fsdp", to: "true"))?.keyPath == "overlap.fsdp")
        #expect(Self.trainingError(Self.training.setting("[parallel]/pipelineScatterGather", to: "false")) == nil)
        #expect(Self.trainingError(Self.training.setting("[parallel]/pipelineScatterGather", to: "1"))?.keyPath == "parallel.pipelineScatterGather")
    }

    @Test func contextExchangeIsRingOrAllGather() {
        #expect(Self.trainingError(Self.training.setting("[parallel]/cpExchange", to: "\"allGather\"")) == nil)
        #expect(Self.trainingError(Self.training.setting("[parallel]/cpExchange", to: "\"a2a\""))?.keyPath == "parallel.cpExchange")
    }

    @Test func shardedGathersNeedZeroThree() {
        #expect(Self.trainingError(Self.training.setting("[parallel]/gathers", to: "\"forward\""))?.keyPath == "parallel.gathers")
        let three = Self.training.setting("[parallel]/zero", to: "3")
        for value in ["step", "forward", "forwardBackward"] {
            #expect(Self.trainingError(TOMLSketch(sections: Self.sections(of: three)).setting("[parallel]/gathers", to: "\"\(value)\"")) == nil)
        }
        #expect(Self.trainingError(TOMLSketch(sections: Self.sections(of: three)).setting("[parallel]/gathers", to: "\"reshard\""))?.keyPath
                == "parallel.gathers")
    }

    @Test func stageLayersHaveOneCountPerStage() {
        #expect(Self.trainingError(Self.training.setting("stageLayers", to: "[3, 5]")) == nil)
        let error = Self.trainingError(Self.training.setting("stageLayers", to: "[3, 5, 1]"))
        #expect(error?.keyPath == "stageLayers" && error?.found == "3 entries")
        // Under interleaved(2) on pp = 2: pp or pp·v = 4 counts (one per virtual stage), not 3.
        let interleaved = Self.training.with("schedule", "\"interleaved(2)\"")
        #expect(Self.trainingError(interleaved.setting("stageLayers", to: "[0, 4, 4, 0]")) == nil)
        #expect(Self.trainingError(interleaved.setting("stageLayers", to: "[4, 4]")) == nil)
        let three = Self.trainingError(interleaved.setting("stageLayers", to: "[3, 5, 0]"))
        #expect(three?.keyPath == "stageLayers" && three?.found == "3 entries" && three?.expected.contains("pp·v = 4") == true)
    }

    @Test func degreesWhoseProductOverflows() {
        var text = Self.training.setting("[parallel]/tp", to: "16777216")
        text = TOMLSketch(sections: Self.sections(of: text)).setting("[parallel]/pp", to: "16777216")
        let error = Self.trainingError(text)
        #expect(error?.keyPath == "parallel.dp")
        #expect(error?.expected.contains("tp × cp × pp × dp at most 16777216") == true)
    }

    @Test func sequenceParallelIsABooleanThatNeedsTensorParallelism() {
        // sp = true with the sketch's tp = 1: refused at [parallel].sp.
        let alone = Self.trainingError(Self.training.setting("[parallel]/sp", to: "true"))
        #expect(alone?.keyPath == "parallel.sp")
        #expect(alone?.found.contains("tp = 1") == true)
        var text = Self.training.setting("[parallel]/tp", to: "2")
        text = TOMLSketch(sections: Self.sections(of: text)).setting("[parallel]/sp", to: "true")
        #expect(Self.trainingError(text) == nil)
        for hostile in ["1", "\"yes\"", "nan"] {
            let error = Self.trainingError(TOMLSketch(sections: Self.sections(of: text)).setting("[parallel]/sp", to: hostile))
            #expect(error?.keyPath == "parallel.sp", "\(hostile)")
        }
    }

    @Test func contextParallelismCountsInTheGPUsAndSplitsTheSequence() throws {
        var setup = TrainingSetup()
        setup.sequenceLength = 4096; setup.globalBatchSequences = 8
        setup.tp = 2; setup.cp = 4; setup.pp = 1; setup.dp = 2
        #expect(setup.gpuCount == 16)           // 2 × 4 × 1 × 2
        #expect(setup.dataParallelWidth == 8)   // dp·cp: Megatron folds cp into the gradient group
        let model = TransformerModel(name: "m", layers: 2, hidden: 64, attention: AttentionSpec(kind: .mha, heads: 4, kvHeads: 4, headDim: 16),
                                     denseFfnWidth: 128, vocabulary: 100)
        try setup.validate(model: model, gpuCount: 16)
        #expect(throws: TrainingSetupError.self) { try setup.validate(model: model, gpuCount: 8) }
        setup.sequenceLength = 4100             // not a multiple of 2·cp = 8 (balanced causal chunks)
        #expect(throws: TrainingSetupError.self) { try setup.validate(model: model, gpuCount: 16) }
        var flags = TrainingSetup()
        try flags.applyParallel("tp=2,cp=4,dp=2")
        #expect(flags.cp == 4)
    }

    @Test func interleavedStagesAreBounded() {
        let error = Self.trainingError(Self.training.setting("schedule", to: "\"interleaved(9223372036854775807)\""))
        #expect(error?.keyPath == "schedule")
        #expect(error?.expected.contains("2...1024") == true)
        var setup = TrainingSetup()
        #expect(throws: TrainingSetupError.self) { try setup.applySchedule("interleaved(9223372036854775807)") }
        #expect(throws: TrainingSetupError.self) { try setup.applySchedule("interleaved(1025)") }
        #expect(throws: Never.self) { try setup.applySchedule("interleaved(1024)") }
    }

    @Test func histogramCountsThatWouldOverflowTheirSum() throws {
        let path = NSTemporaryDirectory() + "frugal-hist-\(UUID().uuidString).toml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "counts = [9223372036854775807, 9223372036854775807]\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try TrainingSetup.readHistogram(path) } throws: { ($0 as? ConfigError)?.keyPath == "counts[0]" }
    }

    // MARK: Flags and validation

    @Test(arguments: ["tp=9223372036854775807", "pp=16777217", "dp=0", "ep=-1", "zero=4", "zero=9223372036854775807"])
    func parallelFlagDegreesAreBounded(text: String) {
        var setup = TrainingSetup()
        #expect(throws: TrainingSetupError.self) { try setup.applyParallel(text) }
    }

    @Test(arguments: ["zipf(1e-300)", "zipf(1e308)", "zipf(nan)", "zipf(inf)"])
    func expertLoadFlagIsBounded(text: String) {
        var setup = TrainingSetup()
        #expect(throws: TrainingSetupError.self) { try setup.applyExpertLoad(text) }
    }

    @Test func validateNeverTrapsOnHugeValuesSetInCode() throws {
        let model = try TransformerModel(document: ConfigDocument(text: Self.model.text, file: "m.toml"))
        var setup = TrainingSetup()
        setup.tp = 16_777_216; setup.pp = 16_777_216; setup.dp = 16_777_216
        #expect(throws: TrainingSetupError.self) { try setup.validate(model: model, gpuCount: 8) }
        setup = TrainingSetup()
        setup.dp = 4; setup.microBatchSequences = Int.max
        #expect(throws: TrainingSetupError.self) { try setup.validate(model: model, gpuCount: 4) }
        setup = TrainingSetup()
        setup.schedule = .interleaved; setup.virtualStages = Int.max
        #expect(throws: TrainingSetupError.self) { try setup.validate(model: model, gpuCount: 1) }
    }
}
