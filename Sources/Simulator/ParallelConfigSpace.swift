import Program
import Config
import Foundation
import Hardware
import Workload

/// The bounded set of configurations `frugal plan` searches, and which of them are valid.
///
/// The grid (documented in docs/plan-and-what-ifs.md, "Planning"):
/// - tp, pp, ep: powers of two (tp ≤ GPUs per node; pp ≤ the model's blocks; ep ≤ the routed
///   experts, 1 for dense models); dp = GPUs / (tp·cp·pp) with the base setup's cp (and its sp
///   and placement order), so tp·cp·pp·dp is always the cluster;
/// - ZeRO stages 0–3; schedules 1f1b, interleaved(2), zb1p, dualpipe;
/// - micro-batch sizes `microBatchSizes` (default 1, 2, 4 sequences);
/// - recompute none, selective, full; precision bf16 and fp8;
/// - routing node limit (MoE only): none, and each of `routingNodeLimits` (default 2, 4, 8, plus
///   the model's own) that is smaller than the nodes the expert-parallel group spans — a limit at
///   or above that span changes nothing, so it is not a separate configuration.
///
/// A grid point is valid when ``TrainingSimulator/validate()`` accepts it (the same checks as
/// `frugal simulate`: degrees cover the cluster, ep divides dp·tp and the experts, the batch
/// divides into micro-batches, schedule constraints, FP8 hardware, tp inside a node).
public struct ParallelConfigSpace: Sendable {
    public let model: TransformerModel
    public let base: TrainingSetup
    public let cluster: ClusterSpec
    /// Sequences per micro-batch to try.
    public var microBatchSizes: [Int] = [1, 2, 4]
    /// Routing node limits to try besides "no limit" (MoE models).
    public var routingNodeLimits: [Int] = [2, 4, 8]
    /// ZeRO stages to try.
    public var zeroStages: [Int] = [0, 1, 2, 3]
    /// Schedules (with virtual stages) to try.
    public var schedules: [(kind: PipelineScheduleKind, virtualStages: Int)] =
        [(.oneFOneB, 1), (.interleaved, 2), (.zb1p, 1), (.dualpipe, 1)]
    public var recomputePolicies: [RecomputePolicy] = RecomputePolicy.allCases
    public var precisions: [TrainingPrecision] = TrainingPrecision.gpuCases

    public init(model: TransformerModel, base: TrainingSetup, cluster: ClusterSpec) {
        self.model = model
        self.base = base
        self.cluster = cluster
    }

    /// Powers of two from 1 up to `limit`.
    public static func powersOfTwo(upTo limit: Int) -> [Int] {
        var list: [Int] = []
        var value = 1
        while value <= limit {
            list.append(value)
            let next = value.multipliedReportingOverflow(by: 2)
            if next.overflow { break }
            value = next.partialValue
        }
        return list
    }

    /// Nodes an expert-parallel group of `ep` consecutive ranks spans.
    public func nodesSpanned(ep: Int) -> Int { max(1, (ep + cluster.gpusPerNode - 1) / cluster.gpusPerNode) }

    /// Routing node limits worth trying for expert-parallel degree `ep` (0 = no limit).
    public func routingNodeLimits(ep: Int) -> [Int] {
        guard model.moe != nil else { return [0] }
        let span = nodesSpanned(ep: ep)
        var limits = Set(routingNodeLimits)
        if let own = model.moe?.routingNodeLimit, own > 0 { limits.insert(own) }
        return [0] + limits.filter { $0 < span }.sorted()
    }

    /// Every grid point, valid or not.
    public func grid() -> [ParallelConfig] {
        // The base's context parallelism is kept: the other degrees share the GPUs it leaves.
        let cp = max(1, base.cp)
        guard cluster.gpuCount % cp == 0 else { return [] }
        let gpus = cluster.gpuCount / cp
        let blocks = TrainingSimulator.blocks(of: model)
        let experts = model.moe?.routedExperts ?? 1
        var list: [ParallelConfig] = []
        for tp in Self.powersOfTwo(upTo: min(gpus, cluster.gpusPerNode)) where gpus % tp == 0 {
            for pp in Self.powersOfTwo(upTo: min(gpus / tp, blocks)) where (gpus / tp) % pp == 0 {
                let dp = gpus / (tp * pp)
                for ep in Self.powersOfTwo(upTo: min(dp * cp * tp, experts)) {
                    for limit in routingNodeLimits(ep: ep) {
                        for schedule in schedules {
                            for microBatch in microBatchSizes {
                                for zero in zeroStages {
                                    for recompute in recomputePolicies {
                                        for precision in precisions {
                                            list.append(ParallelConfig(
                                                tp: tp, pp: pp, ep: ep, dp: dp, zeroStage: zero, schedule: schedule.kind,
                                                virtualStages: schedule.virtualStages, microBatchSequences: microBatch,
                                                recompute: recompute, precision: precision, routingNodeLimit: limit))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return list
    }

    /// Whether `frugal simulate` would accept the configuration.
    public func isValid(_ config: ParallelConfig) -> Bool {
        let simulator = TrainingSimulator(model: config.applied(to: model), setup: config.applied(to: base), cluster: cluster)
        do { try simulator.validate() } catch { return false }
        return true
    }

    /// The valid grid points.
    public func validConfigurations() -> [ParallelConfig] { grid().filter(isValid) }

    /// Parses a comma-separated list of integers in `1...limit` given to `flag` (e.g.
    /// `--micro-batches 1,2,4`, at most the global batch); `bound` says what the limit is.
    public static func parsePositiveList(_ text: String, flag: String, upTo limit: Int = Int.max,
                                         bound: String = "") throws(ConfigError) -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard items.count <= 64 else {
            throw ConfigError(file: flag, keyPath: "", expected: "at most 64 comma-separated values", found: "\(items.count)")
        }
        var values: [Int] = []
        for item in items {
            guard let value = Int(item), (1...max(1, limit)).contains(value) else {
                throw ConfigError(file: flag, keyPath: "",
                                  expected: limit == Int.max ? "a comma-separated list of positive integers (e.g. 1,2,4)"
                                      : "a comma-separated list of positive integers up to \(limit)\(bound.isEmpty ? "" : " (\(bound))") (e.g. 1,2,4)",
                                  found: "'\(item)' in '\(text)'")
            }
            values.append(value)
        }
        return Array(Set(values)).sorted()
    }
}
