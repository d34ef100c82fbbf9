import ArgumentParser
import Config
import Foundation
import Hardware
import Simulator
import Workload

/// `frugal simulate`: one training step of a model on a virtual cluster, rank by rank.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Predict step time, MFU, GPU-hours and cost of training a model on a cluster.",
        discussion: """
            Example (DeepSeek-V3 on its 2048 × H800 cluster):
              frugal simulate --cluster h800-2048 --model deepseek-v3 --train Cluster/train/deepseek-v3.toml
              frugal simulate --cluster h800-2048 --model deepseek-v3 --parallel pp=16,ep=64,dp=128 \\
                --schedule dualpipe --precision fp8 --seq 4096 --global-batch 15360 --comm-sms 20
            """)

    @Option(help: "Cluster file, or a name in --clusters-dir (e.g. h800-2048).") var cluster: String
    @Option(help: "Model file, or a name in --models-dir (e.g. deepseek-v3).") var model: String
    @Option(help: "Training file (Cluster/train/*.toml); flags below override it.") var train: String?
    @Option(help: "Parallel degrees, e.g. pp=16,ep=64,dp=128[,tp=1,zero=1].") var parallel: String?
    @Option(help: "1f1b | interleaved(v) | zb1p | dualpipe.") var schedule: String?
    @Option(help: "bf16 | fp8.") var precision: String?
    @Option(help: "none | selective | full.") var recompute: String?
    @Option(help: "Sequence length (tokens).") var seq: Int?
    @Option(name: .customLong("global-batch"), help: "Sequences per step.") var globalBatch: Int?
    @Option(name: .customLong("micro-batch"), help: "Sequences per micro-batch.") var microBatch: Int?
    @Option(help: "Tokens of the whole run (e.g. 14.8e12).") var tokens: Double?
    @Option(name: .customLong("comm-sms"), help: "SMs reserved for communication.") var commSMs: Int?
    @Option(name: .customLong("expert-load"), help: "uniform | zipf(s) | histogram:FILE.") var expertLoad: String?
    @Option(name: .customLong("slow-ranks"), help: "Straggler ranks, e.g. 0-3,17.") var slowRanks: String?
    @Option(help: "Compute slowdown of --slow-ranks (≥ 1).") var slowdown: Double?
    @Option(name: .customLong("straggler-sigma"), help: "σ of a log-normal per-rank slowdown.") var stragglerSigma: Double?
    @Option(help: "Seed of all random draws.") var seed: UInt64?
    @Option(help: "table | json | csv.") var format: OutputFormat = .table
    @Option(help: "Also write the result (in --format) to this file.") var out: String?
    @Option(help: "Write a Chrome/Perfetto trace of the step to this file.") var trace: String?
    @Option(name: .customLong("trace-ranks"), help: "Ranks in the trace, e.g. 0-15.") var traceRanks: String = "0-15"
    @Option(name: .customLong("clusters-dir")) var clustersDirectory = "Cluster/clusters"
    @Option(name: .customLong("models-dir")) var modelsDirectory = "Cluster/models"
    @Option(name: .customLong("chips-dir")) var chipsDirectory: String?

    /// Prints `message` on stderr and exits with status 1 (a bad input, not a usage error).
    private func fail(_ message: String) throws -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        throw ExitCode.failure
    }

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    func run() throws {
        do {
            let run = try SimulationRequest(command: self).run()
            let text = SimulationReportFormatter.format(run.result, as: format)
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            if let out { try AtomicFileWriter.write(text, to: out) }
            if let trace, let program = run.program, let timeline = run.timeline {
                let ranks = try ChromeTraceWriter.parseRanks(traceRanks)
                try AtomicFileWriter.write(ChromeTraceWriter.json(program: program, timeline: timeline, ranks: ranks), to: trace)
                FileHandle.standardError.write(Data("trace: \(trace) (ranks \(traceRanks))\n".utf8))
            } else if trace != nil {
                FileHandle.standardError.write(Data("trace: not written (the setup does not fit in memory)\n".utf8))
            }
            if run.result.fits == false { throw ExitCode(2) }
        } catch let error as ConfigError {
            try fail(error.description)
        } catch let error as SimulationError {
            try fail(error.description)
        } catch let error as TrainingSetupError {
            try fail(error.description)
        }
    }
}
