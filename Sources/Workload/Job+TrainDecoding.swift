import Config
import Foundation

extension Job {
    /// Keys of a `train` task.
    public static let trainKeys = ["kind", "name", "model", "steps", "seed", "learningRate", "weightDecay", "sequenceLength",
                                   "globalBatch", "microBatch", "schedule", "tp", "pp", "dp", "ep", "zero", "verify",
                                   "tolerance"]

    /// A `train` task: the model (a file, or a name in the models folder beside the job's folder
    /// or in `Cluster/models`), the layout for this rank count and the optimizer.
    static func decodeTrain(_ table: ConfigTable, index: Int, jobSeed: UInt64, jobFile: String,
                            limits: JobLimits) throws(ConfigError) -> TrainTask {
        try table.rejectUnknownKeys(allowed: trainKeys)
        let modelFile = try resolveModel(table, jobFile: jobFile)
        let model = try TransformerModel(contentsOfFile: modelFile)
        if let why = model.trainingRefusal {
            throw table.error("model", expected: "a model the real step trains", found: "\(model.name): \(why)")
        }
        let bounds = WorkloadBounds.self
        var setup = TrainingSetup()
        setup.sequenceLength = try table.int("sequenceLength", in: bounds.trainSequenceLength)
        setup.globalBatchSequences = try table.int("globalBatch", in: bounds.batchSequences)
        setup.microBatchSequences = try table.int("microBatch", in: bounds.batchSequences, default: 1)
        setup.tp = try table.int("tp", in: 1...1, default: 1)
        setup.pp = try table.int("pp", in: bounds.ranks, default: 1)
        setup.dp = try table.int("dp", in: bounds.ranks, default: max(1, limits.ranks / setup.pp))
        setup.ep = try table.int("ep", in: bounds.ranks, default: 1)
        setup.zeroStage = try table.int("zero", in: 0...1, default: 1)
        setup.tokensToTrain = Double(setup.globalBatchSequences) * Double(setup.sequenceLength)
        if table.contains("schedule") {
            let text = try table.string("schedule")
            do { try setup.applySchedule(text) } catch {
                throw table.error("schedule", expected: "1f1b | interleaved(v) | zb1p | dualpipe", found: "'\(text)'")
            }
        }
        guard setup.pp * setup.dp == limits.ranks else {
            throw table.error("dp", expected: "pp × dp = \(limits.ranks) (the rank count)",
                              found: "pp=\(setup.pp) × dp=\(setup.dp) = \(setup.pp * setup.dp)",
                              hint: limits.ranks % setup.pp == 0 ? "set dp = \(limits.ranks / setup.pp) or omit it" : "choose pp dividing \(limits.ranks)")
        }
        do { try setup.validate(model: model, gpuCount: limits.ranks) } catch {
            throw table.error("pp", expected: "a layout the model and the ranks allow", found: error.description)
        }
        let task = TrainTask(
            name: try table.string("name", default: "train-\(index)"), model: model, modelFile: modelFile, setup: setup,
            steps: try table.int("steps", in: bounds.trainSteps, default: 10),
            seed: UInt64(try table.int("seed", in: bounds.seed, default: Int(jobSeed))),
            learningRate: try table.double("learningRate", in: bounds.learningRate, default: 1e-3),
            weightDecay: try table.double("weightDecay", in: 0...1, default: 0),
            verify: try table.bool("verify", default: true),
            tolerance: try table.optionalDouble("tolerance", in: bounds.tolerance) ?? TrainTask.defaultTolerance)
        try checkTrainSize(task, table: table, limits: limits)
        return task
    }

    /// The model key: an absolute path, a path from the job file's folder, or a name looked up
    /// in `<job folder>/../models` and then `Cluster/models`.
    private static func resolveModel(_ table: ConfigTable, jobFile: String) throws(ConfigError) -> String {
        let value = try table.string("model")
        let jobFolder = (jobFile as NSString).deletingLastPathComponent
        let modelsFolder = ((jobFolder as NSString).deletingLastPathComponent as NSString).appendingPathComponent("models")
        let file = value.hasSuffix(".toml") ? value : value + ".toml"
        var candidates = value.hasPrefix("/") ? [value] : [(jobFolder as NSString).appendingPathComponent(file), value]
        if !value.contains("/") { candidates += [(modelsFolder as NSString).appendingPathComponent(file), "Cluster/models/" + file] }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw table.error("model", expected: "a model file or a model name in \(modelsFolder) or Cluster/models",
                          found: "'\(value)'", hint: "e.g. model = \"tiny-moe\"")
    }

    /// A train task's weights, optimizer state, reference and activations must fit the memory
    /// each rank may use, and a micro-batch's rows an MPI count.
    static func checkTrainSize(_ task: TrainTask, table: ConfigTable, limits: JobLimits) throws(ConfigError) {
        let model = task.model, setup = task.setup
        let tokens = Double(setup.microBatchSequences) * Double(setup.sequenceLength)
        let widest = Double(max(model.hidden, model.vocabulary, model.denseFfnWidth, model.moe?.expertFfnWidth ?? 0,
                                model.attention.heads * model.attention.headDim))
        guard tokens * widest * Double(max(1, model.moe?.topK ?? 1)) <= Double(bounds.mpiCount) else {
            throw table.error("microBatch", expected: "micro-batch rows × width within an MPI count (2³¹−1)",
                              found: "\(Int(tokens)) tokens × \(Int(widest)) wide")
        }
        guard let available = limits.availableMemoryBytes else { return }
        // Weights, gradients, two moments and rank 0's single-rank reference (four more copies).
        let parameters = Double(model.totalParameters) * 8
        let inFlight = Double(min(setup.microBatches, 2 * setup.pp))
        let activations = inFlight * tokens * (Double(model.layers) * 24 * widest + 3 * Double(model.vocabulary))
        let bytes = (parameters + activations) * 4
        if bytes > Double(available) {
            throw table.error("model", expected: "a step that fits each rank's memory (\(formatBytes(Double(available))) available)",
                              found: "\(model.name) with \(Int(tokens))-token micro-batches needing about \(formatBytes(bytes))",
                              hint: "a smaller model, sequence or micro-batch")
        }
    }

    private static var bounds: WorkloadBounds.Type { WorkloadBounds.self }
}
