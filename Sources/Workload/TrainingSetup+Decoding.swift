import Config
import Foundation

extension TrainingSetup {
    /// Reads a training file (`Cluster/train/*.toml`); keys absent keep their defaults.
    public init(contentsOfFile path: String) throws(ConfigError) {
        self.init()
        let document = try ConfigDocument(contentsOfFile: path)
        let root = try document.root
        try root.rejectUnknownKeys(allowed: ["sequenceLength", "globalBatch", "microBatch", "tokensToTrain", "parallel",
                                             "schedule", "stageLayers", "recompute", "precision", "communicationSMs", "expertLoad",
                                             "stragglers", "seed", "overlap", "software"])
        let bounds = WorkloadBounds.self
        sequenceLength = try root.int("sequenceLength", in: bounds.sequenceLength, default: sequenceLength)
        globalBatchSequences = try root.int("globalBatch", in: bounds.batchSequences, default: globalBatchSequences)
        microBatchSequences = try root.int("microBatch", in: bounds.batchSequences, default: microBatchSequences)
        tokensToTrain = try root.double("tokensToTrain", in: bounds.tokensToTrain, default: tokensToTrain)
        if let parallel = try root.table("parallel") { try decodeParallel(parallel) }
        if root.contains("schedule") {
            let text = try root.string("schedule")
            do { try applySchedule(text) } catch {
                throw root.error("schedule", expected: "1f1b | interleaved(v) with v in \(Bound.describe(WorkloadBounds.virtualStages)) | zb1p | dualpipe",
                                 found: "'\(text)'")
            }
        }
        // Each count within the model's layer bound, at most one per possible stage: the sum fits an Int.
        stageLayers = try root.intArray("stageLayers", in: bounds.stageLayers, maxCount: bounds.degree.upperBound) ?? stageLayers
        if root.contains("stageLayers") && stageLayers.count != pp && stageLayers.count != pipelinePositions {
            let perPosition = pipelinePositions != pp ? ", or one per virtual stage (pp·v = \(pipelinePositions) entries)" : ""
            throw root.error("stageLayers", expected: "one layer count per pipeline stage (pp = \(pp) entries)\(perPosition)",
                             found: "\(stageLayers.count) entries")
        }
        if let overlap = try root.table("overlap") {
            try overlap.rejectUnknownKeys(allowed: ["gradientReduce", "tensorParallel", "parameterGather", "pipelineTransfers"])
            overlapPipelineTransfers = try overlap.bool("pipelineTransfers", default: overlapPipelineTransfers)
            overlapParameterGather = try overlap.bool("parameterGather", default: overlapParameterGather)
            overlapGradientReduce = try overlap.bool("gradientReduce", default: overlapGradientReduce)
            overlapTensorParallel = try overlap.bool("tensorParallel", default: overlapTensorParallel)
        }
        recompute = try root.choice("recompute", default: recompute)
        precision = try root.choice("precision", default: precision)
        communicationSMs = try root.int("communicationSMs", in: bounds.communicationSMs, default: communicationSMs)
        seed = UInt64(try root.int("seed", in: bounds.seed, default: Int(seed)))
        software = try SoftwareProfile(root: root)
        if let load = try root.table("expertLoad") {
            try load.rejectUnknownKeys(allowed: ["kind", "s", "file"])
            switch try load.string("kind") {
            case "uniform": expertLoad = .uniform
            case "zipf": expertLoad = .zipf(exponent: try load.double("s", in: bounds.zipfExponent))
            case "histogram":
                let file = try load.string("file")
                let resolved = file.hasPrefix("/") ? file : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(file)
                expertLoad = try Self.readHistogram(resolved)
            case let other:
                throw load.error("kind", expected: "'uniform' | 'zipf' | 'histogram'", found: "'\(other)'")
            }
        }
        if let slow = try root.table("stragglers") {
            try slow.rejectUnknownKeys(allowed: ["ranks", "slowdown", "logNormalSigma"])
            // Ranks that exist are checked against the cluster in `validate`.
            stragglers = StragglerModel(slowRanks: try slow.intArray("ranks", in: 0...(bounds.degree.upperBound - 1),
                                                                     maxCount: bounds.batchSequences.upperBound) ?? [],
                                        slowdown: try slow.double("slowdown", in: bounds.slowdown, default: 1),
                                        logNormalSigma: try slow.double("logNormalSigma", in: bounds.logNormalSigma, default: 0))
        }
    }

    /// Reads the `[parallel]` table: degrees, ZeRO stage and its gathers, sp, placement order.
    mutating func decodeParallel(_ parallel: ConfigTable) throws(ConfigError) {
        let bounds = WorkloadBounds.self
        try parallel.rejectUnknownKeys(allowed: ["tp", "pp", "ep", "dp", "cp", "cpExchange", "zero", "sp", "order", "gathers",
                                                       "pipelineScatterGather"])
        tp = try parallel.int("tp", in: bounds.degree, default: tp)
        pp = try parallel.int("pp", in: bounds.degree, default: pp)
        ep = try parallel.int("ep", in: bounds.degree, default: ep)
        dp = try parallel.int("dp", in: bounds.degree, default: dp)
        cp = try parallel.int("cp", in: bounds.degree, default: cp)
        cpExchange = try parallel.choice("cpExchange", default: cpExchange)
        zeroStage = try parallel.int("zero", in: bounds.zeroStage, default: zeroStage)
        sequenceParallel = try parallel.bool("sp", default: sequenceParallel)
        pipelineScatterGather = try parallel.bool("pipelineScatterGather", default: pipelineScatterGather)
        shardedGathers = try parallel.choice("gathers", default: shardedGathers)
        if shardedGathers != .step && zeroStage != 3 {
            throw parallel.error("gathers", expected: "'\(shardedGathers.rawValue)' only with zero = 3 (sharded weights)",
                                 found: "zero = \(zeroStage)")
        }
        _ = try parallel.checkedProduct([("tp", tp), ("cp", cp), ("pp", pp), ("dp", dp)], key: "dp", atMost: bounds.degree.upperBound,
                                        reason: "GPUs, 2^24")
        if parallel.contains("order") {
            let text = try parallel.string("order")
            do { order = try ParallelDimension.parseOrder(text) } catch {
                throw parallel.error("order", expected: "each of tp, cp, dp and pp once, innermost first, e.g. \"tp,cp,dp,pp\"",
                                     found: "'\(text)'", hint: error.description)
            }
        }
        if sequenceParallel && tp < 2 {
            throw parallel.error("sp", expected: "sp = true only with tensor parallelism (tp ≥ 2)", found: "sp = true with tp = \(tp)")
        }
    }

    /// Reads an expert-load histogram file: `counts = [tokens per expert, …]`.
    public static func readHistogram(_ path: String) throws(ConfigError) -> ExpertLoadModel {
        let root = try ConfigDocument(contentsOfFile: path).root
        try root.rejectUnknownKeys(allowed: ["counts"])
        guard let counts = try root.intArray("counts", in: WorkloadBounds.histogramCount, maxCount: WorkloadBounds.experts.upperBound),
              !counts.isEmpty, counts.reduce(0, +) > 0 else {
            throw root.error("counts", expected: "a non-empty array of token counts ≥ 0 per expert", found: "none usable")
        }
        return .histogram(counts: counts.map(Double.init))
    }

    /// Applies `--parallel pp=16,ep=64,dp=128[,tp=1,cp=1,zero=1]`: every degree in `1...gpus` (the
    /// cluster's GPUs, at most ``WorkloadBounds/degree``, so no product of degrees can overflow),
    /// `zero` in ``WorkloadBounds/zeroStage``. The error names the flag, the item and the bound.
    public mutating func applyParallel(_ text: String, gpus: Int = WorkloadBounds.degree.upperBound,
                                       flag: String = "--parallel") throws(TrainingSetupError) {
        let degrees = 1...min(max(1, gpus), WorkloadBounds.degree.upperBound)
        var seen: Set<String> = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else {
                throw TrainingSetupError("\(flag): expected key=value items like pp=16,ep=64,dp=128, found '\(item)'")
            }
            let key = parts[0]
            guard ["tp", "pp", "ep", "dp", "cp", "zero"].contains(key) else {
                throw TrainingSetupError("\(flag): expected a degree among tp, pp, ep, dp, cp, zero, found '\(key)'")
            }
            guard seen.insert(key).inserted else {
                throw TrainingSetupError("\(flag): expected each degree once, found \(key) twice in '\(text)'")
            }
            let range = key == "zero" ? WorkloadBounds.zeroStage : degrees
            guard let value = Int(parts[1]), range.contains(value) else {
                throw TrainingSetupError("\(flag): expected \(key) in \(Bound.describe(range))"
                                         + (key == "zero" ? "" : " (the cluster's GPUs)") + ", found '\(item)'")
            }
            switch key {
            case "tp": tp = value
            case "pp": pp = value
            case "ep": ep = value
            case "dp": dp = value
            case "cp": cp = value
            default: zeroStage = value
            }
        }
    }

    /// Applies `1f1b`, `interleaved(v)`, `zb1p` or `dualpipe`.
    public mutating func applySchedule(_ text: String) throws(TrainingSetupError) {
        let lower = text.lowercased().replacingOccurrences(of: " ", with: "")
        if lower.hasPrefix("interleaved") {
            let inner = lower.dropFirst("interleaved".count)
            var v = 2
            if !inner.isEmpty {
                guard inner.hasPrefix("("), inner.hasSuffix(")"), let parsed = Int(inner.dropFirst().dropLast()),
                      WorkloadBounds.virtualStages.contains(parsed) else {
                    throw TrainingSetupError("schedule '\(text)': write interleaved(v) with v an integer in \(Bound.describe(WorkloadBounds.virtualStages))")
                }
                v = parsed
            }
            schedule = .interleaved
            virtualStages = v
            return
        }
        guard let kind = PipelineScheduleKind(rawValue: lower) else {
            throw TrainingSetupError("unknown schedule '\(text)': use 1f1b, interleaved(v), zb1p or dualpipe")
        }
        schedule = kind
        virtualStages = 1
    }

    /// Applies `uniform`, `zipf(s)` or `histogram:FILE`.
    public mutating func applyExpertLoad(_ text: String) throws(TrainingSetupError) {
        if text == "uniform" { expertLoad = .uniform; return }
        if text.hasPrefix("zipf(") && text.hasSuffix(")"), let s = Double(text.dropFirst(5).dropLast()),
           WorkloadBounds.zipfExponent.contains(s) {
            expertLoad = .zipf(exponent: s)
            return
        }
        if text.hasPrefix("histogram:") {
            do { expertLoad = try Self.readHistogram(String(text.dropFirst("histogram:".count))) } catch {
                throw TrainingSetupError("--expert-load: \(error)")
            }
            return
        }
        throw TrainingSetupError("--expert-load '\(text)': use uniform, zipf(s) with s in \(Bound.describe(WorkloadBounds.zipfExponent)) or histogram:FILE")
    }
}
