import Config

/// The scale-out fabric: a (multi-plane) fat tree. Each GPU's NIC sits on one plane; `nodesPerLeaf`
/// nodes share a leaf switch; traffic that leaves a leaf crosses the upper levels, which carry
/// `1 / oversubscription` of the leaf's down-link bandwidth and add latency.
public struct FatTreeTopology: Sendable, Equatable {
    /// Switch levels (1: one switch; 2: leaf + spine; 3: leaf + spine + core).
    public var levels: Int
    /// Independent planes (DeepSeek: one per NIC index, 8).
    public var planes: Int
    /// Nodes under one leaf switch (in each plane).
    public var nodesPerLeaf: Int
    /// Down-link to up-link bandwidth ratio at the leaf (1 = non-blocking).
    public var oversubscription: Double
    /// Latency of a message that stays under one leaf.
    public var sameLeafLatencySeconds: Double
    /// Latency of a message that crosses leaves.
    public var crossLeafLatencySeconds: Double

    public init(levels: Int, planes: Int, nodesPerLeaf: Int, oversubscription: Double,
                sameLeafLatencySeconds: Double, crossLeafLatencySeconds: Double) {
        self.levels = levels
        self.planes = planes
        self.nodesPerLeaf = nodesPerLeaf
        self.oversubscription = oversubscription
        self.sameLeafLatencySeconds = sameLeafLatencySeconds
        self.crossLeafLatencySeconds = crossLeafLatencySeconds
    }

    /// Decodes a `[topology]` table.
    public init(table: ConfigTable) throws(ConfigError) {
        try table.rejectUnknownKeys(allowed: ["kind", "levels", "planes", "nodesPerLeaf", "oversubscription",
                                              "sameLeafLatencyUs", "crossLeafLatencyUs"])
        let kind = try table.string("kind", default: "fat-tree")
        guard kind == "fat-tree" else { throw table.error("kind", expected: "'fat-tree'", found: "'\(kind)'") }
        let bounds = HardwareBounds.self
        levels = try table.int("levels", in: bounds.levels)
        planes = try table.int("planes", in: bounds.planes, default: 1)
        nodesPerLeaf = try table.int("nodesPerLeaf", in: bounds.nodes)
        oversubscription = try table.double("oversubscription", in: bounds.oversubscription, default: 1)
        sameLeafLatencySeconds = try table.double("sameLeafLatencyUs", in: bounds.latencyUs) * 1e-6
        crossLeafLatencySeconds = try table.double("crossLeafLatencyUs", in: bounds.latencyUs) * 1e-6
    }

    /// The scale-out tier seen by a collective that spans `nodes` consecutive nodes: crossing
    /// leaves divides bandwidth by the oversubscription (all ranks send at once) and uses the
    /// cross-leaf latency.
    public func tier(nicGbPerSecond: Double, spanningNodes nodes: Int) -> LinkTier {
        if nodes <= nodesPerLeaf || levels == 1 {
            return LinkTier(gbPerSecond: nicGbPerSecond, latencySeconds: sameLeafLatencySeconds)
        }
        return LinkTier(gbPerSecond: nicGbPerSecond / oversubscription, latencySeconds: crossLeafLatencySeconds)
    }
}
