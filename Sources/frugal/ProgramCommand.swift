import ArgumentParser
import Foundation
import Hardware
import Program
import Simulator
import Workload

/// `frugal program`: the duration-free op program of chosen ranks, as both executors read it.
struct ProgramCommand: ParsableCommand, SimulationFlags {
    static let configuration = CommandConfiguration(
        commandName: "program",
        abstract: "Print the per-rank op program of a simulated training step (what each rank does, no durations).",
        discussion: """
            Every op: index, kind, stream, micro-batch, chunk, layer, dependencies, peers (pipeline
            transfers) or group (collectives), and its work: GEMM shapes, attention FLOPs, bytes.
              frugal program --cluster h800-2048 --model deepseek-v3 --ranks 0,17
              frugal program --cluster h800-2048 --model deepseek-v3 --ranks 17 --format json
            """)

    @Option(help: "Cluster file, or a name in --clusters-dir (e.g. h800-2048).") var cluster: String
    @Option(help: "Model file, or a name in --models-dir (e.g. deepseek-v3).") var model: String?
    @Option(help: "Training file; flags below override it. Default: the model's own file in --train-dir, if any.") var train: String?
    @Option(help: "Ranks to print, e.g. 0,17 or 0-3 (default: 0).") var ranks: String?
    @Option(help: "Parallel degrees, e.g. pp=16,ep=64,dp=128[,tp=1,zero=1].") var parallel: String?
    @Option(help: "1f1b | interleaved(v) | zb1p | dualpipe.") var schedule: String?
    @Option(help: "bf16 | fp8.") var precision: String?
    @Option(help: "none | selective | full.") var recompute: String?
    @Option(help: "Sequence length (tokens).") var seq: Int?
    @Option(name: .customLong("global-batch"), help: "Sequences per step.") var globalBatch: Int?
    @Option(name: .customLong("micro-batch"), help: "Sequences per micro-batch.") var microBatch: Int?
    @Option(name: .customLong("comm-sms"), help: "SMs reserved for communication.") var commSMs: Int?
    @Option(name: .customLong("expert-load"), help: "uniform | zipf(s) | histogram:FILE.") var expertLoad: String?
    @Option(help: "Seed of all random draws.") var seed: UInt64?
    @Option(help: "table | json.") var format: Format = .table
    @Option(name: .customLong("clusters-dir")) var clustersDirectory = "Cluster/clusters"
    @Option(name: .customLong("models-dir")) var modelsDirectory = "Cluster/models"
    @Option(name: .customLong("train-dir")) var trainDirectory = "Cluster/train"
    @Option(name: .customLong("chips-dir")) var chipsDirectory: String?

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    // Simulation flags that do not change the program.
    var tokens: Double? { nil }
    var slowRanks: String? { nil }
    var slowdown: Double? { nil }
    var stragglerSigma: Double? { nil }
    var trace: String? { nil }

    func loadCluster(_ path: String) throws -> ClusterSpec { try ClusterSpec(contentsOfFile: path, chipsDirectory: chipsDirectory) }

    func run() throws {
        try reportingBadInput {
            guard model != nil else { try failBadInput("give --model (a training step)") }
            let simulator = try SimulationRequest(command: self).prepare()
            try simulator.validate()
            let gpus = simulator.cluster.gpuCount
            let chosen = try ranks.map { text throws(SimulationError) in try RankRanges(parsing: text, flag: "--ranks", rankCount: gpus) }
                ?? RankRanges.first(1, of: gpus)
            var lowering = TrainingLowering(model: simulator.model, setup: simulator.setup, gpusPerNode: simulator.cluster.gpusPerNode)
            let program = lowering.lower()
            let listing = ProgramListing(program: program, layout: lowering.ranks)
            let text = format == .json ? try listing.json(ranks: chosen.ranks) : listing.table(ranks: chosen.ranks)
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }
}
