import Config
import Foundation
import Hardware
import Simulator
import Workload

/// Turns `frugal simulate`'s files and flags into a cluster, a model and a training setup, then runs.
struct SimulationRequest {
    let command: Simulate

    func run() throws -> TrainingSimulator.Run {
        let clusterPath = try resolveCluster(command.cluster)
        let cluster = try command.loadCluster(clusterPath)
        let (model, setup) = try inputs()
        return try TrainingSimulator(model: model, setup: setup, cluster: cluster).run(keepTimeline: command.trace != nil)
    }

    /// The model and the training setup the command's files and flags describe.
    func inputs() throws -> (model: TransformerModel, setup: TrainingSetup) {
        let modelPath = try TransformerModel.resolveFile(command.model ?? "", directory: command.modelsDirectory)
        let model = try TransformerModel(contentsOfFile: modelPath)
        // Without --train, the model's own training file (Cluster/train/<model>.toml) when it has one.
        let modelStem = ((modelPath as NSString).lastPathComponent as NSString).deletingPathExtension
        let defaultTrain = (command.trainDirectory as NSString).appendingPathComponent(modelStem + ".toml")
        let trainPath = command.train ?? (FileManager.default.fileExists(atPath: defaultTrain) ? defaultTrain : nil)
        var setup = try trainPath.map { path throws(ConfigError) in try TrainingSetup(contentsOfFile: path) } ?? TrainingSetup()
        if let parallel = command.parallel { try setup.applyParallel(parallel) }
        if let schedule = command.schedule { try setup.applySchedule(schedule) }
        if let precision = command.precision {
            guard let value = TrainingPrecision(rawValue: precision) else { throw TrainingSetupError("--precision '\(precision)': use bf16 or fp8") }
            setup.precision = value
        }
        if let recompute = command.recompute {
            guard let value = RecomputePolicy(rawValue: recompute) else { throw TrainingSetupError("--recompute '\(recompute)': use none, selective or full") }
            setup.recompute = value
        }
        if let seq = command.seq { setup.sequenceLength = seq }
        if let globalBatch = command.globalBatch { setup.globalBatchSequences = globalBatch }
        if let microBatch = command.microBatch { setup.microBatchSequences = microBatch }
        if let tokens = command.tokens { setup.tokensToTrain = tokens }
        if let commSMs = command.commSMs { setup.communicationSMs = commSMs }
        if let expertLoad = command.expertLoad { try setup.applyExpertLoad(expertLoad) }
        if let slowRanks = command.slowRanks { setup.stragglers.slowRanks = try ChromeTraceWriter.parseRanks(slowRanks) }
        if let slowdown = command.slowdown { setup.stragglers.slowdown = slowdown }
        if let sigma = command.stragglerSigma { setup.stragglers.logNormalSigma = sigma }
        if let seed = command.seed { setup.seed = seed }
        if trainPath == nil && command.parallel == nil {
            throw TrainingSetupError("give --train FILE or --parallel (e.g. --parallel pp=16,ep=64,dp=128)")
        }
        return (model, setup)
    }

    func resolveCluster(_ nameOrPath: String) throws(ConfigError) -> String {
        if FileManager.default.fileExists(atPath: nameOrPath) { return nameOrPath }
        let directory = command.clustersDirectory
        let candidate = (directory as NSString).appendingPathComponent(nameOrPath.hasSuffix(".toml") ? nameOrPath : nameOrPath + ".toml")
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        let known = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
        throw ConfigError(file: nameOrPath, keyPath: "", expected: "a cluster file or a cluster name in \(directory)",
                          found: "unknown cluster '\(nameOrPath)'", hint: "known clusters: \(known.joined(separator: ", "))")
    }
}
