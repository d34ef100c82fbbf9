import ArgumentParser
import Config
import Foundation
import Hardware
import MPIKit
import Simulator
import Workload

/// `frugal plan`: search parallel configurations of a model on a cluster.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Search parallel configurations: prune by memory, rank analytically, re-simulate the best.",
        discussion: """
            Enumerates tp, pp, ep (powers of two), dp = GPUs/(tp·pp), ZeRO 0–3, schedules 1f1b,
            interleaved(2), zb1p, dualpipe, micro-batch sizes, recompute none/selective/full,
            bf16/fp8 and (MoE) routing node limits; keeps those `frugal simulate` accepts and that
            fit in memory (the simulator's MemoryEstimate); ranks them with a closed-form step
            estimate; re-simulates the top N with the event simulator.
            Sequence length, global batch, communication SMs and expert load come from --train
            (default: the model's own file in --train-dir).
              frugal plan --cluster h800-2048 --model deepseek-v3
              frugal plan --cluster h800-2048 --model deepseek-v3 --top 5 --format json
              frugal plan --cluster h800-2048 --model deepseek-v3 --benchmark
            """)

    @Option(help: "Cluster file, or a name in --clusters-dir (e.g. h800-2048).") var cluster: String
    @Option(help: "Model file, or a name in --models-dir (e.g. deepseek-v3).") var model: String
    @Option(help: "Training file (sequence, batch, comm SMs, expert load). Default: the model's own file in --train-dir, if any.")
    var train: String?
    @Option(help: "Configurations to re-simulate with the event simulator.") var top: Int = 10
    @Option(name: .customLong("micro-batches"), help: "Micro-batch sizes (sequences) to try, e.g. 1,2,4.") var microBatches: String = "1,2,4"
    @Option(name: .customLong("node-limits"), help: "Routing node limits to try besides none (MoE), e.g. 2,4,8.") var nodeLimits: String = "2,4,8"
    @Option(help: "table | json.") var format: PlanFormat = .table
    @Flag(help: "Also time the analytical stage alone over every valid configuration for ≥ 1 s and print its rate.")
    var benchmark = false
    @Option(name: .customLong("clusters-dir")) var clustersDirectory = "Cluster/clusters"
    @Option(name: .customLong("set"), help: "What-if change to the cluster, e.g. nvlink=900GB/s (repeatable or comma-separated).")
    var whatIfs: [String] = []
    @Option(name: .customLong("models-dir")) var modelsDirectory = "Cluster/models"
    @Option(name: .customLong("train-dir")) var trainDirectory = "Cluster/train"
    @Option(name: .customLong("chips-dir")) var chipsDirectory: String?

    enum PlanFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    func run() throws {
        try reportingBadInput {
            // Under mpirun the processes share the re-simulations; process 0 reports (the others are silent from `main`).
            let exchange = try MPISimulationExchange.launched()
            defer { if exchange != nil { try? MPIEnvironment.finalize() } }
            try FlagBounds.integer(top, "--top", in: 1...1000, "a number of configurations to re-simulate")
            let space = try makeSpace()
            let search = PlanSearch(space: space)
            let outcome = try search.run(top: top, exchange: exchange)
            var rate: (count: Int, seconds: Double)?
            if benchmark {
                let valid = space.validConfigurations()
                rate = search.benchmarkAnalytical(valid)
            }
            let text = format == .json ? PlanReportFormatter.json(outcome, space: space, benchmark: rate)
                : PlanReportFormatter.table(outcome, space: space, benchmark: rate)
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            for (config, message) in outcome.nonFinite.prefix(5) {
                FileHandle.standardError.write(Data("frugal: warning: \(config) left out: \(message)\n".utf8))
            }
            if outcome.nonFinite.count > 5 {
                FileHandle.standardError.write(Data("frugal: warning: \(outcome.nonFinite.count - 5) more configurations left out (not finite)\n".utf8))
            }
            if outcome.fittingCount == 0 { throw ExitCode(ExitStatus.badInput) }
            if outcome.simulated.isEmpty, let (_, message) = outcome.nonFinite.first { try failResult(message) }
        }
    }

    private func makeSpace() throws -> ParallelConfigSpace {
        let clusterPath = try resolve(cluster, directory: clustersDirectory, what: "cluster")
        var clusterSpec = try ClusterSpec(contentsOfFile: clusterPath, chipsDirectory: chipsDirectory)
        try clusterSpec.apply(whatIfs: whatIfs)
        let modelPath = try TransformerModel.resolveFile(model, directory: modelsDirectory)
        let transformer = try TransformerModel(contentsOfFile: modelPath)
        let stem = ((modelPath as NSString).lastPathComponent as NSString).deletingPathExtension
        let defaultTrain = (trainDirectory as NSString).appendingPathComponent(stem + ".toml")
        let trainPath = train ?? (FileManager.default.fileExists(atPath: defaultTrain) ? defaultTrain : nil)
        let base = try trainPath.map { path throws(ConfigError) in try TrainingSetup(contentsOfFile: path) } ?? TrainingSetup()
        var space = ParallelConfigSpace(model: transformer, base: base, cluster: clusterSpec)
        space.microBatchSizes = try ParallelConfigSpace.parsePositiveList(microBatches, flag: "--micro-batches",
                                                                          upTo: max(4, base.globalBatchSequences), bound: "the global batch")
        space.routingNodeLimits = try ParallelConfigSpace.parsePositiveList(nodeLimits, flag: "--node-limits",
                                                                            upTo: max(8, clusterSpec.nodes), bound: "the cluster's nodes, at least 8")
        return space
    }

    private func resolve(_ nameOrPath: String, directory: String, what: String) throws(ConfigError) -> String {
        if FileManager.default.fileExists(atPath: nameOrPath) { return nameOrPath }
        let candidate = (directory as NSString).appendingPathComponent(nameOrPath.hasSuffix(".toml") ? nameOrPath : nameOrPath + ".toml")
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        let known = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
        throw ConfigError(file: nameOrPath, keyPath: "", expected: "a \(what) file or a \(what) name in \(directory)",
                          found: "unknown \(what) '\(nameOrPath)'", hint: "known: \(known.joined(separator: ", "))")
    }
}
