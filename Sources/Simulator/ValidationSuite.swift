import Config
import Foundation
import Reports

/// The validation table of `frugal validate`: every run under `Cluster/validation/`, the
/// fitting set declared in `fitting-set.toml`, and the issue's targets.
public struct ValidationSuite: Sendable {
    /// The one place the fitting set is declared: `runs = ["deepseek-v3", …]` in this file of the
    /// validation directory.
    public static let fittingSetFile = "fitting-set.toml"
    /// The reference run; it must be in the fitting set.
    public static let referenceRun = "deepseek-v3"
    /// The fitting set holds the reference run and at most three others (issue 13, item 4).
    public static let maxFittingRuns = 4

    public var runs: [ValidationRun]
    public var fittingSet: [String]

    /// Reads every sub-folder of `directory` holding a `published.toml`, in name order, and the
    /// fitting set. A run whose files do not decode is an error naming the file and key.
    public init(directory: String, chipsDirectory: String) throws(ConfigError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigError(file: directory, keyPath: "", expected: "a validation directory (e.g. Cluster/validation)", found: "no such directory")
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        var runs: [ValidationRun] = []
        for name in names {
            let folder = (directory as NSString).appendingPathComponent(name)
            let published = (folder as NSString).appendingPathComponent(ValidationRun.publishedFile)
            guard FileManager.default.fileExists(atPath: published) else { continue }
            runs.append(try ValidationRun(folder: folder, chipsDirectory: chipsDirectory))
        }
        guard !runs.isEmpty else {
            throw ConfigError(file: directory, keyPath: "", expected: "folders with a \(ValidationRun.publishedFile)", found: "none")
        }
        self.runs = runs
        fittingSet = try Self.readFittingSet((directory as NSString).appendingPathComponent(Self.fittingSetFile),
                                             known: runs.map(\.name))
    }

    /// The fitting set: at most ``maxFittingRuns`` known runs, the reference run among them.
    static func readFittingSet(_ path: String, known: [String]) throws(ConfigError) -> [String] {
        let root = try ConfigDocument(contentsOfFile: path).root
        try root.rejectUnknownKeys(allowed: ["runs"])
        guard let runs = try root.stringArray("runs", maxCount: maxFittingRuns) else {
            throw root.error("runs", expected: "the fitting set, e.g. runs = [\"\(referenceRun)\"]", found: "nothing")
        }
        for run in runs where !known.contains(run) {
            throw root.error("runs", expected: "runs of the validation directory (\(known.joined(separator: ", ")))", found: "'\(run)'")
        }
        guard runs.contains(referenceRun), Set(runs).count == runs.count else {
            throw root.error("runs", expected: "distinct runs including '\(referenceRun)'", found: "\(runs)")
        }
        return runs
    }

    /// Simulates every run and compares each published figure with its simulated value.
    public func evaluate() -> ValidationReport {
        var rows: [ValidationRow] = []
        for run in runs {
            let simulated = run.simulate()
            for metric in run.metrics {
                rows.append(ValidationRow(run: run, metric: metric, simulated: simulated, fitting: fittingSet.contains(run.name)))
            }
        }
        return ValidationReport(fittingSet: fittingSet, rows: rows)
    }
}

/// One published figure against its simulated value.
public struct ValidationRow: Sendable, Codable, Equatable {
    public var run: String
    public var organisation: String
    public var chip: String
    public var gpus: Int
    public var sequenceLength: Int
    public var metric: String
    /// The figure's definition, short (`TFLOP/s/GPU (model+recompute, full attn)`) and in the paper's words.
    public var label: String
    public var definition: String
    public var published: Double
    /// nil when the run cannot be simulated (``refusal`` says why).
    public var simulated: Double?
    /// simulated / published − 1 (positive: the simulated figure is larger).
    public var error: Double?
    /// "fit" or "validation".
    public var set: String
    public var source: String
    public var table: String
    public var missing: [String]
    public var assumed: [String]
    public var refusal: String?
    /// The run's software-profile kernel fraction where it is not 1 (``SoftwareProfile/kernelFraction``:
    /// a named stack's fitted constant, or one a training file sets); nil for a row without one.
    public var stackFraction: Double?

    /// A row from its parts (tests, other tables).
    public init(run: String, organisation: String, chip: String, gpus: Int, sequenceLength: Int, metric: String, label: String,
                definition: String, published: Double, simulated: Double?, error: Double?, set: String, source: String,
                table: String, missing: [String], assumed: [String], refusal: String?, stackFraction: Double? = nil) {
        self.run = run
        self.organisation = organisation
        self.chip = chip
        self.gpus = gpus
        self.sequenceLength = sequenceLength
        self.metric = metric
        self.label = label
        self.definition = definition
        self.published = published
        self.simulated = simulated
        self.error = error
        self.set = set
        self.source = source
        self.table = table
        self.missing = missing
        self.assumed = assumed
        self.refusal = refusal
        self.stackFraction = stackFraction
    }

    init(run: ValidationRun, metric: PublishedMetric, simulated: Result<SimulatedFigures, SimulationError>, fitting: Bool) {
        self.run = run.name
        organisation = run.organisation
        chip = run.cluster.chip.name
        gpus = run.cluster.gpuCount
        sequenceLength = run.setup.sequenceLength
        self.metric = metric.kind.rawValue
        label = metric.label
        definition = metric.definition
        published = metric.value
        set = fitting ? "fit" : "validation"
        source = run.source
        table = run.table
        missing = run.missing
        assumed = run.assumed
        let fraction = run.setup.software.kernelFraction
        stackFraction = fraction == 1 ? nil : fraction
        switch simulated {
        case .success(let figures):
            let value = figures.value(of: metric)
            self.simulated = value
            error = value / metric.value - 1
        case .failure(let reason):
            refusal = reason.description
        }
    }
}

/// The table, its error statistics and the issue's targets.
public struct ValidationReport: Sendable, Codable {
    /// |error| statistics over a set of rows.
    public struct Statistics: Sendable, Codable, Equatable {
        public var rows: Int
        public var simulated: Int
        public var medianAbsError: Double?
        public var maxAbsError: Double?

        init(_ rows: [ValidationRow]) {
            let errors = rows.compactMap(\.error).map(abs)
            self.rows = rows.count
            simulated = errors.count
            medianAbsError = Reports.Statistics.median(errors)
            maxAbsError = errors.max()
        }
    }

    /// A target of issue 13 and whether it holds.
    public struct Target: Sendable, Codable, Equatable {
        public var name: String
        public var holds: Bool
        public var detail: String
    }

    public var fittingSet: [String]
    public var rows: [ValidationRow]
    public var validation: Statistics
    /// The validation rows apart: those whose software profile carries a fitted stack kernel
    /// fraction, and the others (how much the table's statistics rest on those constants).
    public var validationWithStackFraction: Statistics
    public var validationWithoutStackFraction: Statistics
    public var fit: Statistics
    public var targets: [Target]

    /// Validation rows: median |error| ≤ 5 %, max ≤ 12 %, every row simulated.
    public static let validationMedianTarget = 0.05
    public static let validationMaxTarget = 0.12
    /// The reference run: step time, tokens/s/GPU and GPU-hours per 10¹² tokens within 3 %; MFU within one point.
    public static let referenceTarget = 0.03
    public static let referenceMfuPoints = 1.0

    public init(fittingSet: [String], rows: [ValidationRow]) {
        self.fittingSet = fittingSet
        self.rows = rows
        let validationRows = rows.filter { $0.set == "validation" }
        validation = Statistics(validationRows)
        validationWithStackFraction = Statistics(validationRows.filter { $0.stackFraction != nil })
        validationWithoutStackFraction = Statistics(validationRows.filter { $0.stackFraction == nil })
        fit = Statistics(rows.filter { $0.set == "fit" })
        targets = Self.targets(validation: validation, rows: rows)
    }

    /// Whether every target holds.
    public var allTargetsHold: Bool { targets.allSatisfy(\.holds) }

    static func targets(validation: Statistics, rows: [ValidationRow]) -> [Target] {
        let percent = { (value: Double?) in value.map { String(format: "%.1f %%", 100 * $0) } ?? "n/a" }
        var targets = [
            Target(name: "validation rows all simulated", holds: validation.simulated == validation.rows,
                   detail: "\(validation.simulated) of \(validation.rows)"),
            Target(name: "validation median |error| ≤ 5 %", holds: (validation.medianAbsError ?? .infinity) <= validationMedianTarget,
                   detail: percent(validation.medianAbsError)),
            Target(name: "validation max |error| ≤ 12 %", holds: (validation.maxAbsError ?? .infinity) <= validationMaxTarget,
                   detail: percent(validation.maxAbsError)),
        ]
        let reference = rows.filter { $0.run == ValidationSuite.referenceRun }
        for kind in [PublishedMetric.Kind.stepSeconds, .tokensPerSecondPerGpu, .gpuHoursPerTrillionTokens, .mfu] {
            let name = kind == .mfu ? "\(ValidationSuite.referenceRun) MFU within 1 point"
                                    : "\(ValidationSuite.referenceRun) \(kind.rawValue) within 3 %"
            guard let row = reference.first(where: { $0.metric == kind.rawValue }) else {
                targets.append(Target(name: name, holds: false, detail: "not published in its published.toml"))
                continue
            }
            guard let simulated = row.simulated, let error = row.error else {
                targets.append(Target(name: name, holds: false, detail: row.refusal ?? "not simulated"))
                continue
            }
            if kind == .mfu {
                let points = simulated - row.published
                targets.append(Target(name: name, holds: abs(points) <= referenceMfuPoints, detail: String(format: "%+.2f points", points)))
            } else {
                targets.append(Target(name: name, holds: abs(error) <= referenceTarget, detail: String(format: "%+.1f %%", 100 * error)))
            }
        }
        return targets
    }
}
