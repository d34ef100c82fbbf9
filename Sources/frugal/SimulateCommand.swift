import ArgumentParser
import Config
import Foundation
import MPIKit
import Hardware
import Reports
import Runtime
import Simulator
import Workload

/// `frugal simulate`: one training step of a model on a virtual cluster, rank by rank.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Predict step time, MFU, GPU-hours and cost of training a model on a cluster.",
        discussion: """
            Example (DeepSeek-V3 on its 2048 × H800 cluster; the model's training file
            Cluster/train/deepseek-v3.toml is the default setup, flags override it):
              frugal simulate --cluster h800-2048 --model deepseek-v3 --parallel pp=16,ep=64,dp=128 --schedule dualpipe
              frugal simulate --cluster h800-2048 --model deepseek-v3 --train Cluster/train/deepseek-v3.toml
              frugal simulate --cluster h800-2048 --model deepseek-v3 --parallel pp=16,ep=64,dp=128 \\
                --schedule dualpipe --precision fp8 --seq 4096 --global-batch 15360 --comm-sms 20
            A local run, predicted on the calibrated cluster file (see `frugal calibrate`):
              frugal simulate --cluster Cluster/clusters/local.toml --job Cluster/jobs/demo.toml --ranks 2
            Its trace, to open beside the measured run's (`mpirun -np 2 frugal run JOB --trace run.json`):
              frugal simulate --cluster Cluster/clusters/local.toml --job Cluster/jobs/demo.toml --ranks 2 --trace sim.json
            """)

    @Option(help: "Cluster file, or a name in --clusters-dir (e.g. h800-2048).") var cluster: String
    @Option(help: "Model file, or a name in --models-dir (e.g. deepseek-v3).") var model: String?
    @Option(help: "Training file; flags below override it. Default: the model's own file in --train-dir, if any.") var train: String?
    @Option(help: "A frugal run job file: predict that run on the cluster (e.g. a calibrated local.toml) instead of a training step.")
    var job: String?
    @Option(name: [.customLong("ranks-total"), .customLong("ranks")],
            help: "Ranks of the predicted --job run (as `frugal program --job --ranks-total`; --ranks is the older spelling).")
    var ranks: Int?
    @Option(help: "Parallel degrees, e.g. pp=16,ep=64,dp=128[,tp=1,zero=1].") var parallel: String?
    @Option(help: "1f1b | interleaved(v) | zb1p | dualpipe.") var schedule: String?
    @Option(help: "bf16 | fp8 | fp32.") var precision: String?
    @Option(help: "none | selective | full.") var recompute: String?
    @Option(help: "Sequence length (tokens).") var seq: Int?
    @Option(name: .customLong("global-batch"), help: "Sequences per step.") var globalBatch: Int?
    @Option(name: .customLong("micro-batch"), help: "Sequences per micro-batch.") var microBatch: Int?
    @Option(help: "Tokens of the whole run (e.g. 14.8e12).") var tokens: Double?
    @Option(name: .customLong("comm-sms"), help: "SMs reserved for communication.") var commSMs: Int?
    @Option(help: "Software profile: deepseek-v3 | megatron-2021 | megatron-2022 | megatron-core-2024 | pytorch-eager | hai-llm | megatron-deepspeed (replaces the training file's).") var software: String?
    @Option(name: .customLong("expert-load"), help: "uniform | zipf(s) | histogram:FILE.") var expertLoad: String?
    @Option(name: .customLong("slow-ranks"), help: "Straggler ranks, e.g. 0-3,17.") var slowRanks: String?
    @Option(help: "Compute slowdown of --slow-ranks (≥ 1).") var slowdown: Double?
    @Option(name: .customLong("straggler-sigma"), help: "σ of a log-normal per-rank slowdown.") var stragglerSigma: Double?
    @Option(help: "Seed of all random draws.") var seed: UInt64?
    @Option(help: "table | json | csv.") var format: OutputFormat = .table
    @Option(help: "Also write the result (in --format) to this file.") var out: String?
    @Option(help: "Write a Chrome/Perfetto trace of the step (with --job: of the predicted run) to this file.") var trace: String?
    @Option(name: .customLong("trace-ranks"), help: "Ranks in the trace, e.g. 0-15 (default: the first 16).") var traceRanks: String?
    @Flag(name: .customLong("no-fold"), help: "Simulate every rank, even identical data-parallel replicas (the result is the same; for checking it).")
    var noFold = false
    @Option(name: .customLong("clusters-dir")) var clustersDirectory = "Cluster/clusters"
    @Option(name: .customLong("models-dir")) var modelsDirectory = "Cluster/models"
    @Option(name: .customLong("train-dir")) var trainDirectory = "Cluster/train"
    @Option(name: .customLong("set"), help: "What-if change to the cluster, e.g. nvlink=900GB/s, scaleout=25GB/s, bf16=148TFLOPS (repeatable or comma-separated).")
    var whatIfs: [String] = []
    @Option(name: .customLong("chips-dir")) var chipsDirectory: String?

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    func run() throws {
        if let job {
            try predictJob(job)
            return
        }
        try reportingBadInput {
            guard model != nil else { try failBadInput("give --model (a training step) or --job (a frugal run job file)") }
            // Under mpirun the processes share the step; process 0 reports (the others are silent from `main`).
            let exchange = try MPISimulationExchange.launched()
            defer { if exchange != nil { try? MPIEnvironment.finalize() } }
            let simulator = try SimulationRequest(command: self).prepare()
            let gpus = simulator.cluster.gpuCount
            let traced = try traceRanks.map { text throws(SimulationError) in try RankRanges(parsing: text, flag: "--trace-ranks", rankCount: gpus) }
                ?? RankRanges.first(16, of: gpus)
            if let out { try OutputPath.checkFile(out, flag: "--out") }
            if let trace { try OutputPath.checkFile(trace, flag: "--trace") }
            let run = try simulator.run(keepTimeline: trace != nil, fold: !noFold, exchange: exchange)
            if let message = run.result.nonFiniteMessage() { try failResult(message) }
            if trace != nil, let program = run.program {
                let events = ChromeTraceWriter.eventCount(program: program, ranks: traced)
                guard events <= ChromeTraceWriter.eventLimit else {
                    try failBadInput("--trace-ranks \(traced.description): the trace would hold \(events) op events, more than "
                                     + "\(ChromeTraceWriter.eventLimit) (about 800 MB of JSON); trace fewer ranks")
                }
            }
            guard let text = SimulationReportFormatter.format(run.result, as: format) else {
                try failResult("the simulated result cannot be written as \(format.rawValue)")
            }
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            if let out, (exchange?.process ?? 0) == 0 { try Self.write(text, to: out) }
            if let trace, let program = run.program, let timeline = run.timeline {
                try Self.write(ChromeTraceWriter.json(program: program, timeline: timeline, ranks: traced), to: trace)
                FileHandle.standardError.write(Data("trace: \(trace) (ranks \(traced.description))\n".utf8))
            } else if trace != nil {
                FileHandle.standardError.write(Data("trace: not written (the setup does not fit in memory)\n".utf8))
            }
            if run.result.fits == false { throw ExitCode(ExitStatus.badInput) }
        }
    }

    /// The most ranks `--job` predicts a run on: a `frugal run` job is an MPI job on CPU ranks,
    /// and a SUMMA grid's prediction grows as ranks × panels (12 s at 16,384 ranks here, hours at
    /// 2²⁰), so past this the answer would take longer than the question is worth.
    static let jobRanksLimit = 16_384

    /// Writes `text` atomically; a failure now (the disk, permissions) is a system failure: exit 3.
    static func write(_ text: String, to path: String) throws {
        do { try AtomicFile.write(text, to: path) } catch {
            FileHandle.standardError.write(Data("frugal: error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.systemFailure)
        }
    }

    /// The cluster file the `--cluster` name or path designates.
    func resolveClusterPath() throws -> String { try SimulationRequest(command: self).resolveCluster(cluster) }

    /// The cluster file with every `--set` applied.
    func loadCluster(_ path: String) throws -> ClusterSpec {
        var cluster = try ClusterSpec(contentsOfFile: path, chipsDirectory: chipsDirectory)
        try cluster.apply(whatIfs: whatIfs)
        return cluster
    }

    /// `--job`: the predicted `frugal run` of a job file on this cluster, per task and rank.
    private func predictJob(_ path: String) throws {
        try reportingBadInput {
            if model != nil { try failBadInput("give --job (a frugal run job file) or --model (a training step), not both") }
            let cluster = try loadCluster(resolveClusterPath())
            let ranks = try FlagBounds.integer(self.ranks ?? cluster.gpuCount, "--ranks-total", in: 1...max(1, min(cluster.gpuCount, Self.jobRanksLimit)),
                                               "a rank count (one rank per GPU of the cluster, at most \(Self.jobRanksLimit))")
            if let out { try OutputPath.checkFile(out, flag: "--out") }
            if let trace { try OutputPath.checkFile(trace, flag: "--trace") }
            let traced = try traceRanks.map { text throws(SimulationError) in try RankRanges(parsing: text, flag: "--trace-ranks", rankCount: ranks) }
                ?? RankRanges.first(16, of: ranks)
            var warnings = ConfigWarnings()
            let job = try Job(contentsOfFile: path, limits: JobLimits(ranks: ranks, availableMemoryBytes: nil), warnings: &warnings)
            printWarnings(warnings)
            if trace != nil {
                let events = TaskPrediction.traceEventCount(job: job, ranks: ranks, traced: traced)
                guard events <= ChromeTraceWriter.eventLimit else {
                    try failBadInput("--trace: the trace of ranks \(traced.description) would hold \(events) op events, more than "
                                     + "\(ChromeTraceWriter.eventLimit) (about 800 MB of JSON); trace fewer ranks (--trace-ranks) or repetitions")
                }
            }
            let predictions = TaskPrediction.predict(job: job, ranks: ranks, cluster: cluster)
            for prediction in predictions {
                for (term, values) in [("computeSeconds", prediction.computeSeconds), ("commSeconds", prediction.commSeconds)] {
                    if let rank = values.firstIndex(where: { !$0.isFinite }) {
                        try failResult("the predicted \(term) of task \(prediction.task) on rank \(rank) is not finite (\(values[rank])): a rate or bandwidth of the cluster is too small or too large")
                    }
                }
            }
            let text: String
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                struct Row: Encodable { var task: String; var kind: JobTaskKind; var computeSeconds: [Double]; var commSeconds: [Double]; var wallSeconds: Double }
                text = String(decoding: try encoder.encode(predictions.map {
                    Row(task: $0.task, kind: $0.kind, computeSeconds: $0.computeSeconds, commSeconds: $0.commSeconds, wallSeconds: $0.wallSeconds)
                }), as: UTF8.self)
            case .table, .csv:
                var lines = [format == .csv ? "task,kind,rank,computeSeconds,commSeconds"
                                             : "# predicted frugal run of \(path) on \(cluster.name), \(ranks) rank(s): seconds per repetition or step"]
                for prediction in predictions {
                    for rank in prediction.computeSeconds.indices {
                        lines.append(format == .csv
                            ? "\(prediction.task),\(prediction.kind.rawValue),\(rank),\(prediction.computeSeconds[rank]),\(prediction.commSeconds[rank])"
                            : " " + prediction.task.padding(toLength: 16, withPad: " ", startingAt: 0) + " "
                                + prediction.kind.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
                                + String(format: " rank %3d  compute %.6f s  comm %.6f s", rank,
                                         prediction.computeSeconds[rank], prediction.commSeconds[rank]))
                    }
                }
                text = lines.joined(separator: "\n")
            }
            print(text)
            if let out, !MPISimulationExchange.isOtherProcess { try Self.write(text, to: out) }
            if let trace {
                let twin = try TaskPrediction.trace(job: job, ranks: ranks, cluster: cluster, traced: traced)
                try Self.write(twin.trace.json(), to: trace)
                FileHandle.standardError.write(Data("trace: \(trace) (ranks \(traced.description))\n".utf8))
            }
        }
    }
}
