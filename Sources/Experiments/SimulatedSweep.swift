import Foundation
import Reports

/// A simulated sweep: `frugal simulate` over cluster files (chip types), chip counts, parallel
/// configurations and what-if settings (link bandwidths), every combination; or, for the `plan`
/// configuration, `frugal plan` at each chip count (the best configuration per count).
public struct SimulatedSweep: Sendable {
    public var clusters: [String]
    public var model: String
    /// Chip counts; empty means each parallel configuration's own `tp·pp·dp`.
    public var chips: [Int]
    /// Parallel configurations, e.g. `pp=16,ep=64,dp=128`. With `chips`, `dp` is set to `chips / (tp·pp)`.
    /// `plan` (``planTemplate``): the best configuration `frugal plan` finds at each chip count.
    public var parallel: [String]
    public var schedule: String?
    /// What-if variants; each is a list of `key=value` settings passed as `--set key=value`
    /// (an empty list: the cluster file as it is).
    public var variants: [[String]]
    /// Further arguments passed to every `frugal simulate` call (`frugal plan` for `plan` points) unchanged.
    public var extraArguments: [String]

    public init(clusters: [String], model: String, chips: [Int], parallel: [String], schedule: String?,
                variants: [[String]], extraArguments: [String] = []) {
        self.clusters = clusters
        self.model = model
        self.chips = chips
        self.parallel = parallel
        self.schedule = schedule
        self.variants = variants.isEmpty ? [[]] : variants
        self.extraArguments = extraArguments
    }

    /// The points, and a sentence for each combination skipped because the chip count does not
    /// divide evenly into the parallel configuration.
    public func points() -> (points: [SweepPoint], skipped: [String]) {
        var points: [SweepPoint] = []
        var skipped: [String] = []
        for cluster in clusters {
            let clusterName = ((cluster as NSString).lastPathComponent as NSString).deletingPathExtension
            let size = ClusterFileSize(contentsOfFile: cluster)
            let chipType = size?.chip ?? clusterName
            for template in parallel {
                if template == Self.planTemplate {
                    points += planPoints(cluster: cluster, clusterName: clusterName, chipType: chipType, size: size, skipped: &skipped)
                    continue
                }
                let degrees = Self.degrees(template)
                let counts: [Int?] = chips.isEmpty ? [nil] : chips.map(Optional.some)
                for count in counts {
                    var resolved = degrees
                    let tpTimesPp = (Self.value("tp", degrees) ?? 1).multipliedReportingOverflow(by: Self.value("pp", degrees) ?? 1)
                    let fixed = tpTimesPp.overflow ? 0 : tpTimesPp.partialValue
                    let chipCount: Int
                    if let count {
                        guard fixed > 0, count % fixed == 0 else {
                            skipped.append("\(count) chips do not divide into \(template) (tp·pp = \(fixed))")
                            continue
                        }
                        let dp = count / fixed
                        if let ep = Self.value("ep", degrees), ep > 0, dp % ep != 0 {
                            skipped.append("\(count) chips with \(template): dp = \(dp) is not a multiple of ep = \(ep)")
                            continue
                        }
                        if let perNode = size?.gpusPerNode, perNode > 0, count % perNode != 0 {
                            skipped.append("\(count) chips are not whole nodes of \(perNode) GPUs (\(clusterName))")
                            continue
                        }
                        resolved = Self.setting("dp", to: dp, in: degrees)
                        chipCount = count
                    } else {
                        let product = fixed.multipliedReportingOverflow(by: Self.value("dp", degrees) ?? 1)
                        guard fixed > 0, !product.overflow, product.partialValue > 0 else {
                            skipped.append("\(template): tp·pp·dp is not a positive chip count")
                            continue
                        }
                        chipCount = product.partialValue
                    }
                    let parallelText = resolved.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
                    // Points that differ only in chip count (so in dp) share a series.
                    let seriesTemplate = degrees.filter { $0.0 != "dp" }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
                    for variant in variants {
                        let settingsText = variant.joined(separator: ";")
                        let series = [chipType, seriesTemplate, settingsText].filter { !$0.isEmpty }.joined(separator: " ")
                        points.append(SweepPoint(
                            id: SweepPoint.makeID(["sim", clusterName, "c\(chipCount)", parallelText.replacingOccurrences(of: ",", with: "-")] + variant),
                            mode: .simulated, cluster: cluster, chipType: chipType, chips: chipCount, model: model,
                            parallel: parallelText, schedule: schedule, settings: variant, series: series))
                    }
                }
            }
        }
        return (points, skipped)
    }

    /// The `--parallel` value that asks for the best configuration at each chip count: the sweep
    /// runs `frugal plan` there and records its first candidate (``SweepPoint/plannedParallel``).
    public static let planTemplate = "plan"
    /// Candidates `frugal plan` re-simulates per point unless the extra arguments set `--top`.
    public static let planTop = 3

    /// The `plan` points of one cluster: one per chip count (the cluster's own size without
    /// `chips`) and what-if variant, named by model so that several models share a folder.
    func planPoints(cluster: String, clusterName: String, chipType: String, size: ClusterFileSize?,
                    skipped: inout [String]) -> [SweepPoint] {
        let modelName = ((model as NSString).lastPathComponent as NSString).deletingPathExtension
        let counts = chips.isEmpty ? [size?.gpus].compactMap { $0 } : chips
        if counts.isEmpty { skipped.append("\(clusterName): no chip count (--chips) for --parallel plan, and none read from the file") }
        var points: [SweepPoint] = []
        for count in counts {
            if let perNode = size?.gpusPerNode, perNode > 0, count % perNode != 0 {
                skipped.append("\(count) chips are not whole nodes of \(perNode) GPUs (\(clusterName))")
                continue
            }
            for variant in variants {
                let settingsText = variant.joined(separator: ";")
                let series = [chipType, modelName, "best plan", settingsText].filter { !$0.isEmpty }.joined(separator: " ")
                points.append(SweepPoint(
                    id: SweepPoint.makeID(["sim", clusterName, modelName, "c\(count)", Self.planTemplate] + variant),
                    mode: .simulated, cluster: cluster, chipType: chipType, chips: count, model: model,
                    parallel: Self.planTemplate, schedule: nil, settings: variant, series: series))
            }
        }
        return points
    }

    /// The arguments after the executable for `frugal simulate` of `point`. A point whose chip
    /// count differs from its cluster file's runs on a resized copy (`runCluster`), with
    /// `--chips-dir` pointing at the original's `../chips` so the chip is still found.
    public func arguments(for point: SweepPoint) -> [String] {
        let planned = point.parallel == Self.planTemplate
        var arguments = planned ? ["plan", "--cluster", point.runCluster ?? point.cluster ?? "", "--model", point.model ?? model]
            : ["simulate", "--cluster", point.runCluster ?? point.cluster ?? "", "--model", point.model ?? model,
               "--parallel", point.parallel ?? ""]
        if point.runCluster != nil, let cluster = point.cluster {
            let chipsDirectory = (((cluster as NSString).deletingLastPathComponent as NSString).appendingPathComponent("../chips") as NSString).standardizingPath
            arguments += ["--chips-dir", chipsDirectory]
        }
        if let schedule = point.schedule, !planned { arguments += ["--schedule", schedule] }
        if planned && !extraArguments.contains("--top") { arguments += ["--top", "\(Self.planTop)"] }
        arguments += ["--format", "json"]
        for setting in point.settings ?? [] { arguments += ["--set", setting] }
        return arguments + extraArguments
    }

    /// What is wrong with a `--parallel` template (`pp=16,ep=64[,dp=128,tp=1,zero=1]`): an unknown
    /// key, a value that is not an integer, a degree outside `1...maxDegree` or a ZeRO stage outside
    /// 0...3; nil when it is well formed.
    public static func problem(inTemplate template: String, maxDegree: Int) -> String? {
        if template == planTemplate { return nil }
        for part in template.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "=", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, ["tp", "pp", "ep", "dp", "zero"].contains(pieces[0]) else {
                return "'\(part)' in '\(template)' is not one of tp=, pp=, ep=, dp=, zero= with a value"
            }
            let range = pieces[0] == "zero" ? 0...3 : 1...maxDegree
            guard let value = Int(pieces[1]), range.contains(value) else {
                return "'\(part)' in '\(template)': expected \(pieces[0]) in \(range.lowerBound)...\(range.upperBound)"
            }
        }
        return nil
    }

    /// Why the output of `frugal simulate` for a point is not a finished point, or nil when it is:
    /// a non-zero status (other than a setup that does not fit, which prints `"fits": false`),
    /// no decodable JSON, or a timing figure that is missing or not a finite positive number.
    public static func failure(status: Int32, output: Data, log: String) -> String? {
        let summary = try? JSONDecoder().decode(SimulationSummary.self, from: output)
        // A plan that does not fit in memory is a result (the simulator exits non-zero but prints it).
        guard status == 0 || summary?.fits == false else { return "simulate exited with status \(status); see \(log)" }
        guard let summary else { return "simulate printed no JSON result; see \(log)" }
        if summary.fits != false {
            guard let step = summary.stepSeconds, step.isFinite, step > 0 else {
                return "simulate printed no finite step time (stepSeconds); see \(log)"
            }
        }
        return nil
    }

    /// The first (best by simulated step) candidate of `frugal plan --format json`'s output: its
    /// configuration and its simulation as `frugal simulate --format json` prints one. Throws a
    /// ``SweepRunner/PointFailure`` naming the log when plan failed, found nothing that fits, or
    /// printed no such candidate.
    public static func bestPlanned(status: Int32, output: Data, log: String) throws -> (config: String, simulation: Data) {
        let document = (try? JSONSerialization.jsonObject(with: output)) as? [String: Any]
        guard let document else {
            throw SweepRunner.PointFailure(description: "plan exited with status \(status) and printed no JSON result; see \(log)")
        }
        let candidates = document["candidates"] as? [[String: Any]] ?? []
        guard let best = candidates.first, let config = best["config"] as? String, let simulation = best["simulation"],
              let data = try? JSONSerialization.data(withJSONObject: simulation, options: [.sortedKeys]) else {
            let fitting = (document["fittingCount"] as? Int).map { "\($0) configurations fit in memory" } ?? "no candidate"
            throw SweepRunner.PointFailure(description: "plan re-simulated no configuration (\(fitting)); see \(log)")
        }
        return (config, data)
    }

    /// `pp=16,ep=64` → [("pp", 16), ("ep", 64)], in order; malformed parts are kept with degree 0.
    static func degrees(_ template: String) -> [(String, Int)] {
        template.split(separator: ",").map { part in
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            return (pieces.first ?? "", pieces.count > 1 ? Int(pieces[1]) ?? 0 : 0)
        }
    }

    static func value(_ key: String, _ degrees: [(String, Int)]) -> Int? { degrees.first { $0.0 == key }?.1 }

    static func setting(_ key: String, to value: Int, in degrees: [(String, Int)]) -> [(String, Int)] {
        if degrees.contains(where: { $0.0 == key }) { return degrees.map { $0.0 == key ? (key, value) : $0 } }
        return degrees + [(key, value)]
    }
}
