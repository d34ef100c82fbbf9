import Config
import Foundation
import Hardware
import Simulator
import Workload

/// The files and flags that describe a simulated training step (`frugal simulate`, `frugal program`).
protocol SimulationFlags {
    var cluster: String { get }
    var model: String? { get }
    var train: String? { get }
    var parallel: String? { get }
    var schedule: String? { get }
    var precision: String? { get }
    var recompute: String? { get }
    var seq: Int? { get }
    var globalBatch: Int? { get }
    var microBatch: Int? { get }
    var tokens: Double? { get }
    var commSMs: Int? { get }
    var software: String? { get }
    var expertLoad: String? { get }
    var slowRanks: String? { get }
    var slowdown: Double? { get }
    var stragglerSigma: Double? { get }
    var seed: UInt64? { get }
    var trace: String? { get }
    var clustersDirectory: String { get }
    var modelsDirectory: String { get }
    var trainDirectory: String { get }
    /// The cluster file with every `--set` applied.
    func loadCluster(_ path: String) throws -> ClusterSpec
}

extension Simulate: SimulationFlags {}

/// Turns `frugal simulate`'s files and flags into a cluster, a model and a training setup, then runs.
struct SimulationRequest {
    let command: any SimulationFlags

    func run() throws -> TrainingSimulator.Run {
        try prepare().run(keepTimeline: command.trace != nil)
    }

    /// The simulator of the command's cluster (with every `--set`), model and setup; every flag checked.
    func prepare() throws -> TrainingSimulator {
        let clusterPath = try resolveCluster(command.cluster)
        let cluster = try command.loadCluster(clusterPath)
        let (model, setup) = try inputs(cluster: cluster)
        return TrainingSimulator(model: model, setup: setup, cluster: cluster)
    }

    /// The model and the training setup the command's files and flags describe; every flag is
    /// checked against its bound (and the cluster) where it is applied.
    func inputs(cluster: ClusterSpec) throws -> (model: TransformerModel, setup: TrainingSetup) {
        let modelPath = try TransformerModel.resolveFile(command.model ?? "", directory: command.modelsDirectory)
        let model = try TransformerModel(contentsOfFile: modelPath)
        // Without --train, the model's own training file (Cluster/train/<model>.toml) when it has one.
        let modelStem = ((modelPath as NSString).lastPathComponent as NSString).deletingPathExtension
        let defaultTrain = (command.trainDirectory as NSString).appendingPathComponent(modelStem + ".toml")
        let trainPath = command.train ?? (FileManager.default.fileExists(atPath: defaultTrain) ? defaultTrain : nil)
        var setup = try trainPath.map { path throws(ConfigError) in try TrainingSetup(contentsOfFile: path) } ?? TrainingSetup()
        try applyFlags(to: &setup, model: model, cluster: cluster)
        if trainPath == nil && command.parallel == nil {
            throw TrainingSetupError("give --train FILE or --parallel (e.g. --parallel pp=16,ep=64,dp=128)")
        }
        return (model, setup)
    }

    /// Applies the setup flags, each checked where it is read: the error names the flag and its bound.
    private func applyFlags(to setup: inout TrainingSetup, model: TransformerModel, cluster: ClusterSpec) throws {
        let gpus = max(1, cluster.gpuCount)
        if let parallel = command.parallel { try setup.applyParallel(parallel, gpus: gpus) }
        if let schedule = command.schedule {
            do { try setup.applySchedule(schedule) } catch { throw TrainingSetupError("--schedule: \(error.description)") }
            let blocks = max(2, min(TrainingSimulator.Limits.blocks, TrainingSimulator.blocks(of: model)))
            if setup.schedule == .interleaved {
                try FlagBounds.integer(setup.virtualStages, "--schedule interleaved(v)", in: 2...blocks, "v (virtual stages, at most the model's layers)")
            }
        }
        if let precision = command.precision {
            guard let value = TrainingPrecision(rawValue: precision) else { throw FlagError(flag: "--precision", expected: "bf16, fp8 or fp32", found: "'\(precision)'") }
            setup.precision = value
        }
        if let recompute = command.recompute {
            guard let value = RecomputePolicy(rawValue: recompute) else {
                throw FlagError(flag: "--recompute", expected: "none, selective or full", found: "'\(recompute)'")
            }
            setup.recompute = value
        }
        typealias Limits = TrainingSimulator.Limits
        if let seq = command.seq { setup.sequenceLength = try FlagBounds.integer(seq, "--seq", in: 1...Limits.sequenceLength, "tokens") }
        if let batch = command.globalBatch {
            setup.globalBatchSequences = try FlagBounds.integer(batch, "--global-batch", in: 1...Limits.globalBatchSequences, "sequences")
        }
        if let micro = command.microBatch {
            setup.microBatchSequences = try FlagBounds.integer(micro, "--micro-batch", in: 1...max(1, setup.globalBatchSequences),
                                                               "sequences (at most the global batch)")
        }
        if let tokens = command.tokens { setup.tokensToTrain = try FlagBounds.number(tokens, "--tokens", in: 1...Limits.tokensToTrain, "tokens") }
        if let commSMs = command.commSMs {
            setup.communicationSMs = try FlagBounds.integer(commSMs, "--comm-sms", in: 0...max(0, cluster.chip.streamingMultiprocessors - 1),
                                                            "SMs (fewer than the chip's)")
        }
        if let expertLoad = command.expertLoad {
            try setup.applyExpertLoad(expertLoad)
            if case .zipf(let exponent) = setup.expertLoad, !(exponent.isFinite && exponent > 0 && exponent <= Limits.zipfExponent) {
                throw FlagError(flag: "--expert-load", expected: "zipf(s) with 0 < s ≤ \(Limits.zipfExponent)", found: "'\(expertLoad)'")
            }
        }
        if let slowRanks = command.slowRanks {
            setup.stragglers.slowRanks = try RankRanges(parsing: slowRanks, flag: "--slow-ranks", rankCount: gpus).ranks
        }
        if let slowdown = command.slowdown { setup.stragglers.slowdown = try FlagBounds.number(slowdown, "--slowdown", in: 1...Limits.slowdown) }
        if let sigma = command.stragglerSigma {
            setup.stragglers.logNormalSigma = try FlagBounds.number(sigma, "--straggler-sigma", in: 0...Limits.stragglerSigma)
        }
        if let seed = command.seed { setup.seed = seed }
        if let software = command.software {
            guard let name = SoftwareProfile.Name(rawValue: software) else {
                throw FlagError(flag: "--software", expected: SoftwareProfile.Name.allCases.map(\.rawValue).joined(separator: ", "),
                                found: "'\(software)'")
            }
            setup.software = .named(name)
        }
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
