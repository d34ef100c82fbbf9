/// The emulated cluster a measured run is paced to: slower ranks and two link tiers (inside a
/// virtual node and between them), so a CPU machine can stand in for export-limited chips on a
/// two-tier network (see docs/running-jobs.md, "Constraint emulation"). The runtime's `Pacer` enforces it
/// (a rank sleeps until the emulated end of each operation) and `TaskPrediction` costs the
/// job on it, so the measured run and the prediction describe the same machine.
///
/// Written in a job file as `[cluster]` with the cluster files' key names (`gpusPerNode`,
/// `[cluster.intraNode]` and `[cluster.scaleOut]` with `gbPerSecond` and `latencyUs`,
/// `slowdown`), or in the deprecated `[constraints]` form (`ranksPerNode`, `computeScale`,
/// `intraNodeGbPerSecond`, `interNodeGbPerSecond`), mapped onto the same value.
public struct Constraints: Sendable, Equatable {
    /// Per rank: 1 = as measured, 0.5 = half speed (compute takes twice as long): 1 / slowdown.
    public var computeScale: [Double]
    /// Ranks per virtual node, for the two link tiers (`gpusPerNode`).
    public var ranksPerNode: Int
    /// Per-rank bandwidth cap, each direction, to ranks in the same virtual node (nil: uncapped).
    public var intraNodeGbPerSecond: Double?
    /// Per-rank bandwidth cap, each direction, to ranks in other virtual nodes (nil: uncapped).
    public var interNodeGbPerSecond: Double?
    /// Latency added to a transfer that uses the tier (0: none).
    public var intraNodeLatencySeconds: Double
    public var interNodeLatencySeconds: Double

    public init(computeScale: [Double], ranksPerNode: Int = 1, intraNodeGbPerSecond: Double? = nil,
                interNodeGbPerSecond: Double? = nil, intraNodeLatencySeconds: Double = 0, interNodeLatencySeconds: Double = 0) {
        self.computeScale = computeScale
        self.ranksPerNode = ranksPerNode
        self.intraNodeGbPerSecond = intraNodeGbPerSecond
        self.interNodeGbPerSecond = interNodeGbPerSecond
        self.intraNodeLatencySeconds = intraNodeLatencySeconds
        self.interNodeLatencySeconds = interNodeLatencySeconds
    }

    /// No constraint on `ranks` ranks.
    public static func none(ranks: Int) -> Constraints { Constraints(computeScale: Array(repeating: 1, count: ranks)) }

    public var isNone: Bool {
        computeScale.allSatisfy { $0 == 1 } && intraNodeGbPerSecond == nil && interNodeGbPerSecond == nil
            && intraNodeLatencySeconds == 0 && interNodeLatencySeconds == 0
    }

    /// How many times slower than measured `rank` computes (1 for a rank without a scale).
    public func slowdown(of rank: Int) -> Double {
        computeScale.indices.contains(rank) && computeScale[rank] > 0 ? 1 / computeScale[rank] : 1
    }
}
