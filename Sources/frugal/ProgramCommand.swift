import ArgumentParser
import Config
import Foundation
import Hardware
import Program
import Runtime
import Simulator
import Workload

/// `frugal program`: the duration-free op program of chosen ranks, as both executors read it.
struct ProgramCommand: ParsableCommand, SimulationFlags {
    static let configuration = CommandConfiguration(
        commandName: "program",
        abstract: "Print the per-rank op program of a simulated training step or of a job file's tasks (no durations).",
        discussion: """
            Every op: index, kind, stream, micro-batch, chunk, layer, dependencies, peers (pipeline
            transfers) or group (collectives), and its work: GEMM shapes, attention FLOPs, bytes.
              frugal program --cluster h800-2048 --model deepseek-v3 --ranks 0,17
              frugal program --cluster h800-2048 --model deepseek-v3 --ranks 17 --format json
              frugal program --job Cluster/jobs/demo.toml --ranks-total 2 --ranks 0,1
            """)

    @Option(name: .customLong("cluster"), help: "Cluster file, or a name in --clusters-dir (e.g. h800-2048); needed with --model.")
    var clusterOption: String?
    var cluster: String { clusterOption ?? "" }
    @Option(help: "A frugal run job file: print its tasks' programs instead of a training step's.") var job: String?
    @Option(name: .customLong("ranks-total"), help: "Ranks the --job runs on (default: 2).") var ranksTotal: Int?
    @Option(help: "Model file, or a name in --models-dir (e.g. deepseek-v3).") var model: String?
    @Option(help: "Training file; flags below override it. Default: the model's own file in --train-dir, if any.") var train: String?
    @Option(help: "Ranks to print, e.g. 0,17 or 0-3 (default: 0).") var ranks: String?
    @Option(help: "Parallel degrees, e.g. pp=16,ep=64,dp=128[,tp=1,zero=1].") var parallel: String?
    @Option(help: "1f1b | interleaved(v) | zb1p | dualpipe.") var schedule: String?
    @Option(help: "bf16 | fp8 | fp32.") var precision: String?
    @Option(help: "none | selective | full.") var recompute: String?
    @Option(help: "Sequence length (tokens).") var seq: Int?
    @Option(name: .customLong("global-batch"), help: "Sequences per step.") var globalBatch: Int?
    @Option(name: .customLong("micro-batch"), help: "Sequences per micro-batch.") var microBatch: Int?
    @Option(name: .customLong("comm-sms"), help: "SMs reserved for communication.") var commSMs: Int?
    @Option(help: "Software profile: deepseek-v3 | megatron-2021 | megatron-2022 | megatron-core-2024 | pytorch-eager | hai-llm | megatron-deepspeed (replaces the training file's).") var software: String?
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
        if let job { return try runJob(job) }
        try reportingBadInput {
            guard model != nil, clusterOption != nil else { try failBadInput("give --cluster and --model (a training step), or --job") }
            let simulator = try SimulationRequest(command: self).prepare()
            try simulator.validate()
            let gpus = simulator.cluster.gpuCount
            let chosen = try ranks.map { text throws(SimulationError) in try RankRanges(parsing: text, flag: "--ranks", rankCount: gpus) }
                ?? RankRanges.first(1, of: gpus)
            try simulator.checkProgramSize(ranks: gpus)
            var lowering = TrainingLowering(model: simulator.model, setup: simulator.setup, gpusPerNode: simulator.cluster.gpusPerNode)
            let program = lowering.lower()
            let ops = chosen.ranks.reduce(0) { $0 + program.rankStart[$1 + 1] - program.rankStart[$1] }
            guard ops <= Self.opLimit else {
                try failBadInput("--ranks \(chosen.description): \(ops) ops to print, more than \(Self.opLimit); print fewer ranks")
            }
            let listing = ProgramListing(program: program, layout: lowering.ranks)
            let text = format == .json ? try listing.json(ranks: chosen.ranks) : listing.table(ranks: chosen.ranks)
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }

    /// The most ops one listing prints (as many as a trace holds: 2²³).
    static let opLimit = ChromeTraceWriter.eventLimit

    /// `--job`: every task's program, lowered as `frugal simulate --job` costs it.
    func runJob(_ path: String) throws {
        try reportingBadInput {
            if model != nil || clusterOption != nil { try failBadInput("give either --job or --cluster with --model, not both") }
            let total = try FlagBounds.integer(ranksTotal ?? 2, "--ranks-total", in: 1...(1 << 20), "a rank count")
            let chosen = try ranks.map { text throws(SimulationError) in try RankRanges(parsing: text, flag: "--ranks", rankCount: total) }
                ?? RankRanges.first(1, of: total)
            var warnings = ConfigWarnings()
            let job = try Job(contentsOfFile: path, limits: JobLimits(ranks: total, availableMemoryBytes: nil), warnings: &warnings)
            printWarnings(warnings)
            let lowering = JobLowering(ranks: total)
            let listed = chosen.ranks
            let window = (listed.min() ?? 0)..<((listed.max() ?? 0) + 1)
            let programs = job.tasks.map { lowering.lower($0, ranks: window) }
            if format == .json {
                struct Task: Encodable { var task: String; var program: ProgramListing.Document }
                let tasks = zip(job.tasks, programs).map { Task(task: $0.name, program: ProgramListing(program: $1).document(ranks: listed)) }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(["tasks": tasks]), as: UTF8.self))
            } else {
                for (task, program) in zip(job.tasks, programs) {
                    print("## task \(task.name), \(total) rank(s)")
                    let text = ProgramListing(program: program).table(ranks: listed)
                    print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
                }
            }
        }
    }
}
