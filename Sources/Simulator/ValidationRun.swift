import Config
import Foundation
import Hardware
import Workload

/// One published training run of the validation table (`Cluster/validation/<run>/`): its model,
/// cluster and training files, and `published.toml` — source, table, the figures published in
/// their own definitions, what the published setup uses that Frugal cannot express yet, and what
/// the files assume because the source does not say.
public struct ValidationRun: Sendable {
    /// The folder's name.
    public var name: String
    public var organisation: String
    /// Paper (authors, year, title, arXiv id).
    public var source: String
    /// Where in the source (table, section).
    public var table: String
    public var notes: String
    /// Features of the published setup Frugal cannot express yet.
    public var missing: [String]
    /// What the source does not publish and the files assume.
    public var assumed: [String]
    public var metrics: [PublishedMetric]
    public var model: TransformerModel
    public var cluster: ClusterSpec
    public var setup: TrainingSetup

    /// The file of the run's description.
    public static let publishedFile = "published.toml"
    /// At most this many figures per run, missing features, assumptions.
    static let maxMetrics = 16
    static let maxListItems = 64

    /// Reads `folder`: `published.toml`, then the model, cluster and training files it names in
    /// `[files]` (paths relative to the folder; default `model.toml`, `cluster.toml`,
    /// `train.toml`). The cluster's chip comes from `chipsDirectory`.
    public init(folder: String, chipsDirectory: String) throws(ConfigError) {
        let root = try ConfigDocument(contentsOfFile: (folder as NSString).appendingPathComponent(Self.publishedFile)).root
        try root.rejectUnknownKeys(allowed: ["organisation", "source", "table", "notes", "missing", "assumed", "files", "metric"])
        name = ((folder as NSString).standardizingPath as NSString).lastPathComponent
        organisation = try root.string("organisation")
        source = try root.string("source")
        table = try root.string("table")
        notes = try root.string("notes", default: "")
        missing = try root.stringArray("missing", maxCount: Self.maxListItems) ?? []
        assumed = try root.stringArray("assumed", maxCount: Self.maxListItems) ?? []
        let metricTables = try root.tableArray("metric")
        guard (1...Self.maxMetrics).contains(metricTables.count) else {
            throw root.error("metric", expected: "1...\(Self.maxMetrics) [[metric]] tables", found: "\(metricTables.count)")
        }
        var metrics: [PublishedMetric] = []
        for table in metricTables { metrics.append(try PublishedMetric(table: table)) }
        self.metrics = metrics
        var paths = ["model": "model.toml", "cluster": "cluster.toml", "train": "train.toml"]
        if let files = try root.table("files") {
            try files.rejectUnknownKeys(allowed: ["model", "cluster", "train"])
            for key in paths.keys.sorted() where files.contains(key) { paths[key] = try files.string(key) }
        }
        func resolved(_ key: String) -> String {
            let path = paths[key] ?? ""
            return path.hasPrefix("/") ? path : ((folder as NSString).appendingPathComponent(path) as NSString).standardizingPath
        }
        model = try TransformerModel(contentsOfFile: resolved("model"))
        cluster = try ClusterSpec(contentsOfFile: resolved("cluster"), chipsDirectory: chipsDirectory)
        setup = try TrainingSetup(contentsOfFile: resolved("train"))
    }

    /// The run's step simulated and turned into the quantities of every published definition,
    /// or why it cannot be simulated (a layout Frugal refuses, a setup that does not fit).
    public func simulate() -> Result<SimulatedFigures, SimulationError> {
        let result: SimulationResult
        do { result = try TrainingSimulator(model: model, setup: setup, cluster: cluster).run().result } catch {
            return .failure(error)
        }
        guard result.fits else {
            let gb = { (bytes: Double) in String(format: "%.1f GB", bytes / 1e9) }
            return .failure(SimulationError("does not fit in memory: \(gb(result.memoryPerGpuBytes)) per GPU of \(gb(cluster.chip.memoryBytes))"))
        }
        if let message = result.nonFiniteMessage() { return .failure(SimulationError(message)) }
        guard let step = result.stepSeconds, let tokens = result.tokensPerSecondPerGpu,
              let hours = result.gpuHoursPerTrillionTokens else {
            return .failure(SimulationError("the simulation gave no step time"))
        }
        return .success(SimulatedFigures(
            stepSeconds: step, tokensPerSecondPerGpu: tokens, gpuHoursPerTrillionTokens: hours,
            modelFlopsPerToken: result.modelFlopsPerToken, modelFlopsPerTokenCausal: result.modelFlopsPerTokenCausal,
            recomputeFlopsPerToken: recomputeFlopsPerToken(causal: false), recomputeFlopsPerTokenCausal: recomputeFlopsPerToken(causal: true),
            peakTflops: cluster.chip.bf16DenseTflops))
    }

    /// One forward of the transformer layers per token, without the output head: what full
    /// recomputation adds to the model FLOPs (Megatron's 96 vs 72 in its FLOP formulas).
    func recomputeFlopsPerToken(causal: Bool) -> Double {
        model.forwardFlopsPerToken(sequence: setup.sequenceLength, causal: causal) - 2 * Double(model.vocabulary) * Double(model.hidden)
    }
}
