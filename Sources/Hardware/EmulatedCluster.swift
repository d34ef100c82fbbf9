/// The cluster a measured run is paced to: ranks grouped into virtual nodes of `gpusPerNode`, a
/// link tier inside a node and one between nodes, and slower ranks — so a CPU machine stands in
/// for export-limited chips on a two-tier network (docs/running-jobs.md, "The emulated cluster").
/// The same description as a cluster file's (`gpusPerNode`, `intraNode`, `scaleOut` as
/// ``LinkTier``s), so the runtime's pacer holds transfers to it and the prediction of the job
/// (`OpCostModel(jobOn:emulating:ranks:)`) costs them on it: one machine, two executors.
///
/// Written in a job file as `[cluster]`; the deprecated `[constraints]` form decodes onto it.
public struct EmulatedCluster: Sendable, Equatable {
    /// Ranks per virtual node (which peers a transfer reaches over `intraNode`).
    public var gpusPerNode: Int
    /// Per rank: how many times longer than measured its compute takes (1: as measured).
    public var slowdown: [Double]
    /// The tier between ranks of one virtual node: a per-rank bandwidth cap each direction
    /// (`.infinity`: uncapped) and a latency per transfer; nil: as fast as MPI goes.
    public var intraNode: LinkTier?
    /// The tier between virtual nodes; nil: as fast as MPI goes.
    public var scaleOut: LinkTier?

    public init(gpusPerNode: Int = 1, slowdown: [Double], intraNode: LinkTier? = nil, scaleOut: LinkTier? = nil) {
        self.gpusPerNode = gpusPerNode
        self.slowdown = slowdown
        self.intraNode = intraNode
        self.scaleOut = scaleOut
    }

    /// Whether pacing changes nothing: every rank at measured speed, no tier.
    public var isUnpaced: Bool { slowdown.allSatisfy { $0 == 1 } && intraNode == nil && scaleOut == nil }

    /// How many times slower than measured `rank` computes (1 for a rank the list does not name).
    public func slowdown(of rank: Int) -> Double {
        slowdown.indices.contains(rank) && slowdown[rank] >= 1 ? slowdown[rank] : 1
    }

    /// Whether ranks `a` and `b` share a virtual node.
    public func sameNode(_ a: Int, _ b: Int) -> Bool { a / max(1, gpusPerNode) == b / max(1, gpusPerNode) }
}
