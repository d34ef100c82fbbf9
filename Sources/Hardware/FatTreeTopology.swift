import Config

/// The scale-out fabric: a (multi-plane) fat tree. Each GPU's NIC sits on one plane; `nodesPerLeaf`
/// nodes share a leaf switch; traffic that leaves a leaf crosses the upper levels, which carry
/// `1 / oversubscription` of the leaf's down-link bandwidth and add latency. With three levels,
/// `nodesPerPod` nodes share a pod (the leaves under one set of spine switches); traffic that
/// leaves a pod crosses the core, which carries a further `1 / podOversubscription` and adds
/// `crossPodLatencySeconds`.
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
    /// Nodes under one pod (three or more levels; nil: the upper levels are one pod).
    public var nodesPerPod: Int?
    /// Pod up-link to core bandwidth ratio (1 = non-blocking).
    public var podOversubscription: Double
    /// Latency of a message that crosses pods.
    public var crossPodLatencySeconds: Double

    public init(levels: Int, planes: Int, nodesPerLeaf: Int, oversubscription: Double,
                sameLeafLatencySeconds: Double, crossLeafLatencySeconds: Double,
                nodesPerPod: Int? = nil, podOversubscription: Double = 1, crossPodLatencySeconds: Double? = nil) {
        self.levels = levels
        self.planes = planes
        self.nodesPerLeaf = nodesPerLeaf
        self.oversubscription = oversubscription
        self.sameLeafLatencySeconds = sameLeafLatencySeconds
        self.crossLeafLatencySeconds = crossLeafLatencySeconds
        self.nodesPerPod = nodesPerPod
        self.podOversubscription = podOversubscription
        self.crossPodLatencySeconds = crossPodLatencySeconds ?? crossLeafLatencySeconds
    }

    /// Decodes a `[topology]` table.
    public init(table: ConfigTable) throws(ConfigError) {
        try table.rejectUnknownKeys(allowed: ["kind", "levels", "planes", "nodesPerLeaf", "oversubscription",
                                              "sameLeafLatencyUs", "crossLeafLatencyUs", "nodesPerPod", "podOversubscription",
                                              "crossPodLatencyUs"])
        let kind = try table.string("kind", default: "fat-tree")
        guard kind == "fat-tree" else { throw table.error("kind", expected: "'fat-tree'", found: "'\(kind)'") }
        let bounds = HardwareBounds.self
        levels = try table.int("levels", in: bounds.levels)
        planes = try table.int("planes", in: bounds.planes, default: 1)
        nodesPerLeaf = try table.int("nodesPerLeaf", in: bounds.nodes)
        oversubscription = try table.double("oversubscription", in: bounds.oversubscription, default: 1)
        sameLeafLatencySeconds = try table.double("sameLeafLatencyUs", in: bounds.latencyUs) * 1e-6
        crossLeafLatencySeconds = try table.double("crossLeafLatencyUs", in: bounds.latencyUs) * 1e-6
        (nodesPerPod, podOversubscription, crossPodLatencySeconds)
            = try Self.pods(table, levels: levels, nodesPerLeaf: nodesPerLeaf, crossLeafLatencySeconds: crossLeafLatencySeconds)
    }

    /// The pod keys of a `[topology]` table: required (`nodesPerPod`) from three levels on,
    /// refused below.
    private static func pods(_ table: ConfigTable, levels: Int, nodesPerLeaf: Int, crossLeafLatencySeconds: Double)
        throws(ConfigError) -> (nodesPerPod: Int?, oversubscription: Double, latencySeconds: Double) {
        let bounds = HardwareBounds.self
        guard levels >= 3 else {
            for key in ["nodesPerPod", "podOversubscription", "crossPodLatencyUs"] where table.contains(key) {
                throw table.error(key, expected: "no pod keys with \(levels) level\(levels == 1 ? "" : "s") (pods need levels = 3 or more)",
                                  found: "'\(key)'")
            }
            return (nil, 1, crossLeafLatencySeconds)
        }
        let pod = try table.int("nodesPerPod", in: bounds.nodes)
        guard pod % nodesPerLeaf == 0 else {
            throw table.error("nodesPerPod", expected: "a multiple of nodesPerLeaf (\(nodesPerLeaf)): a pod is whole leaves",
                              found: "\(pod)")
        }
        let oversubscription = try table.double("podOversubscription", in: bounds.oversubscription, default: 1)
        let latency = try table.double("crossPodLatencyUs", in: bounds.latencyUs, default: crossLeafLatencySeconds * 1e6) * 1e-6
        guard latency >= crossLeafLatencySeconds else {
            throw table.error("crossPodLatencyUs", expected: "at least crossLeafLatencyUs (\(crossLeafLatencySeconds * 1e6)): a message across pods crosses leaves too",
                              found: "\(latency * 1e6)")
        }
        return (pod, oversubscription, latency)
    }

    /// The scale-out tier seen by a collective that spans `nodes` consecutive nodes: crossing
    /// leaves divides bandwidth by the oversubscription (all ranks send at once) and uses the
    /// cross-leaf latency; crossing pods divides it by the pod oversubscription too and uses the
    /// cross-pod latency.
    public func tier(nicGbPerSecond: Double, spanningNodes nodes: Int) -> LinkTier {
        if nodes <= nodesPerLeaf || levels == 1 { return tier(nicGbPerSecond: nicGbPerSecond, distance: 1) }
        if levels >= 3, let nodesPerPod, nodes > nodesPerPod { return tier(nicGbPerSecond: nicGbPerSecond, distance: 3) }
        return tier(nicGbPerSecond: nicGbPerSecond, distance: 2)
    }

    /// The plane the NIC of a node's GPU `gpu` (its index in the node) sits on: NIC i on plane
    /// i mod planes (rail-optimised: one plane per NIC index when planes = GPUs per node).
    public func plane(gpu: Int) -> Int {
        planes > 1 ? gpu % planes : 0
    }

    /// How far apart nodes `a` and `b` sit in the fabric: 0 the same node, 1 the same leaf, 2 the
    /// same pod (or any two leaves below three levels), 3 different pods.
    public func distance(node a: Int, node b: Int) -> Int {
        if a == b { return 0 }
        if levels == 1 || a / max(1, nodesPerLeaf) == b / max(1, nodesPerLeaf) { return 1 }
        if levels >= 3, let nodesPerPod, a / max(1, nodesPerPod) != b / max(1, nodesPerPod) { return 3 }
        return 2
    }

    /// The scale-out tier between two different nodes, by where they sit (``distance(node:node:)``).
    public func tier(nicGbPerSecond: Double, between a: Int, and b: Int) -> LinkTier {
        tier(nicGbPerSecond: nicGbPerSecond, distance: distance(node: a, node: b))
    }

    /// The tier of a message that travels `distance` (``distance(node:node:)``): a leaf's,
    /// across leaves (÷ oversubscription), across pods (÷ both oversubscriptions).
    func tier(nicGbPerSecond: Double, distance: Int) -> LinkTier {
        switch distance {
        case 0, 1: return LinkTier(gbPerSecond: nicGbPerSecond, latencySeconds: sameLeafLatencySeconds)
        case 2: return LinkTier(gbPerSecond: nicGbPerSecond / oversubscription, latencySeconds: crossLeafLatencySeconds)
        default: return LinkTier(gbPerSecond: nicGbPerSecond / (oversubscription * podOversubscription), latencySeconds: crossPodLatencySeconds)
        }
    }
}
