import Program
import Foundation

/// Failures over a whole training run: how often the job dies, what checkpointing costs, and
/// the fraction of wall-clock time that is useful work (goodput).
///
/// Model (first order, valid when the checkpoint interval τ, checkpoint time δ and restart time
/// R are small against the job's mean time between failures M): checkpoints cost δ every τ; a
/// failure loses on average half an interval of work plus the restart, so the fraction of time
/// lost is `δ/τ + (τ/2 + R)/M` (Young, "A first order approximation to the optimum checkpoint
/// interval", CACM 1974). The optimal interval is Young's √(2δM), refined by Daly ("A higher
/// order estimate of the optimum checkpoint interval for restart dumps", FGCS 2006):
/// `√(2δM)·(1 + ⅓·√(δ/2M) + ⅑·δ/2M) − δ` for δ < 2M, and M otherwise.
public struct GoodputModel: Sendable, Equatable {
    /// Failures per GPU per hour (a failing node counts as one failure, whatever its size).
    public var gpuFailuresPerHour: Double
    /// Failures per node per hour beyond the GPUs (host, NIC, switch port).
    public var nodeFailuresPerHour: Double
    /// Bytes a checkpoint writes (weights and optimizer state, all ranks together).
    public var checkpointBytes: Double
    /// Aggregate storage write bandwidth.
    public var storageGbPerSecond: Double
    /// Detecting a failure, replacing the node, reloading the checkpoint.
    public var restartSeconds: Double

    /// Defaults. The GPU rate is measured: Meta reports 419 unexpected interruptions in a 54-day
    /// snapshot of Llama 3 405B pre-training on 16,384 H100s ("The Llama 3 Herd of Models",
    /// arXiv:2407.21783, §3.3.4) — 419 / (16,384 × 54 × 24 h) ≈ 1.97e-5 per GPU-hour, node and
    /// host causes included. The others are **assumptions**: no separate node term (it is inside
    /// Meta's figure), 100 GB/s aggregate checkpoint write bandwidth, 10 minutes to restart.
    public static func defaults(checkpointBytes: Double) -> GoodputModel {
        GoodputModel(gpuFailuresPerHour: 419.0 / (16_384 * 54 * 24), nodeFailuresPerHour: 0,
                     checkpointBytes: checkpointBytes, storageGbPerSecond: 100, restartSeconds: 600)
    }

    public init(gpuFailuresPerHour: Double, nodeFailuresPerHour: Double, checkpointBytes: Double,
                storageGbPerSecond: Double, restartSeconds: Double) {
        self.gpuFailuresPerHour = gpuFailuresPerHour
        self.nodeFailuresPerHour = nodeFailuresPerHour
        self.checkpointBytes = checkpointBytes
        self.storageGbPerSecond = storageGbPerSecond
        self.restartSeconds = restartSeconds
    }

    /// Seconds to write one checkpoint (δ).
    public var checkpointSeconds: Double { checkpointBytes / (storageGbPerSecond * 1e9) }

    /// The job's mean time between failures, seconds, on `gpus` GPUs in `nodes` nodes.
    public func mtbfSeconds(gpus: Int, nodes: Int) -> Double {
        let rate = gpuFailuresPerHour * Double(gpus) + nodeFailuresPerHour * Double(nodes)
        return rate > 0 ? 3600 / rate : .infinity
    }

    /// Young's optimal interval √(2δM).
    public static func youngInterval(checkpointSeconds delta: Double, mtbfSeconds m: Double) -> Double {
        (2 * delta * m).squareRoot()
    }

    /// Daly's higher-order optimal interval.
    public static func dalyInterval(checkpointSeconds delta: Double, mtbfSeconds m: Double) -> Double {
        guard delta < 2 * m else { return m }
        let x = delta / (2 * m)
        return (2 * delta * m).squareRoot() * (1 + x.squareRoot() / 3 + x / 9) - delta
    }

    /// The run with failures: checkpoint interval, failures expected, and what they cost.
    public func estimate(idealSeconds: Double, gpus: Int, nodes: Int) -> GoodputEstimate {
        let m = mtbfSeconds(gpus: gpus, nodes: nodes), delta = checkpointSeconds
        guard m.isFinite else {
            return GoodputEstimate(mtbfSeconds: m, checkpointSeconds: delta, checkpointIntervalSeconds: .infinity,
                                   expectedFailures: 0, lostFraction: 0, goodput: 1, wallSeconds: idealSeconds)
        }
        let tau = Self.dalyInterval(checkpointSeconds: delta, mtbfSeconds: m)
        let lost = min(0.99, delta / tau + (tau / 2 + restartSeconds) / m)
        let goodput = 1 - lost
        let wall = idealSeconds / goodput
        return GoodputEstimate(mtbfSeconds: m, checkpointSeconds: delta, checkpointIntervalSeconds: tau,
                               expectedFailures: wall / m, lostFraction: lost, goodput: goodput, wallSeconds: wall)
    }
}

/// What failures do to one training run (``GoodputModel/estimate(idealSeconds:gpus:nodes:)``).
public struct GoodputEstimate: Sendable, Equatable, Codable {
    public var mtbfSeconds: Double
    public var checkpointSeconds: Double
    /// Daly's optimal checkpoint interval.
    public var checkpointIntervalSeconds: Double
    /// Failures expected over the run.
    public var expectedFailures: Double
    /// Fraction of wall-clock time lost to checkpoints, rework and restarts.
    public var lostFraction: Double
    /// 1 − lostFraction: useful time over wall time.
    public var goodput: Double
    /// Wall-clock seconds of the run with failures.
    public var wallSeconds: Double
}
