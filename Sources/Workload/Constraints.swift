/// Emulated constraints for a measured run: slower ranks and capped links, so a CPU machine
/// can stand in for export-limited chips on a two-tier network (see docs/running-jobs.md, "Constraint
/// emulation"). Enforced by pacing: a rank sleeps until the emulated time of each operation.
public struct Constraints: Sendable, Equatable {
    /// Per rank: 1 = as measured, 0.5 = half speed (compute takes twice as long).
    public var computeScale: [Double]
    /// Ranks per virtual node, for the two link tiers.
    public var ranksPerNode: Int
    /// Per-rank bandwidth cap, each direction, to ranks in the same virtual node (nil: uncapped).
    public var intraNodeGbPerSecond: Double?
    /// Per-rank bandwidth cap, each direction, to ranks in other virtual nodes (nil: uncapped).
    public var interNodeGbPerSecond: Double?

    public init(computeScale: [Double], ranksPerNode: Int = 1, intraNodeGbPerSecond: Double? = nil,
                interNodeGbPerSecond: Double? = nil) {
        self.computeScale = computeScale
        self.ranksPerNode = ranksPerNode
        self.intraNodeGbPerSecond = intraNodeGbPerSecond
        self.interNodeGbPerSecond = interNodeGbPerSecond
    }

    /// No constraint on `ranks` ranks.
    public static func none(ranks: Int) -> Constraints { Constraints(computeScale: Array(repeating: 1, count: ranks)) }

    public var isNone: Bool {
        computeScale.allSatisfy { $0 == 1 } && intraNodeGbPerSecond == nil && interNodeGbPerSecond == nil
    }
}
