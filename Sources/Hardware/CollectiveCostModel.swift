import Foundation

/// Alpha-beta costs of collectives on a ``ClusterSpec``, hierarchical over its two tiers.
///
/// A group is `ranksPerNode` GPUs on each of `nodes` nodes. Every GPU has its own NIC (rails), so
/// the inter-node phase of a hierarchical algorithm runs `ranksPerNode` rings (or trees) in
/// parallel, each on `1/ranksPerNode` of the data. Sizes are the per-rank buffer in bytes (the
/// nccl-tests convention). A group spanning more nodes than a leaf holds sees the oversubscribed
/// bandwidth and the cross-leaf latency (``FatTreeTopology``).
public struct CollectiveCostModel: Sendable {
    /// The cluster whose links are used.
    public let cluster: ClusterSpec

    public init(cluster: ClusterSpec) { self.cluster = cluster }

    /// Ring all-reduce of `bytes` over `n` ranks on `tier`: 2(n−1)/n·S/B + 2(n−1)·α.
    public static func ringAllReduceSeconds(bytes: Double, ranks n: Int, tier: LinkTier) -> Double {
        guard n > 1 else { return 0 }
        let steps = Double(n - 1)
        return 2 * steps / Double(n) * bytes / (tier.gbPerSecond * 1e9) + 2 * steps * tier.latencySeconds
    }

    /// Pipelined (double binary) tree all-reduce: ≈ 2·S/B + 2·⌈log2 n⌉·α; wins for small messages.
    public static func treeAllReduceSeconds(bytes: Double, ranks n: Int, tier: LinkTier) -> Double {
        guard n > 1 else { return 0 }
        let depth = ceil(log2(Double(n)))
        return 2 * bytes / (tier.gbPerSecond * 1e9) + 2 * depth * tier.latencySeconds
    }

    /// Ring reduce-scatter or all-gather: (n−1)/n·S/B + (n−1)·α.
    public static func ringGatherSeconds(bytes: Double, ranks n: Int, tier: LinkTier) -> Double {
        guard n > 1 else { return 0 }
        let steps = Double(n - 1)
        return steps / Double(n) * bytes / (tier.gbPerSecond * 1e9) + steps * tier.latencySeconds
    }

    /// All-reduce of `bytes` per rank: intra-node reduce-scatter, inter-node all-reduce of the
    /// shard (ring or tree, whichever is faster), intra-node all-gather.
    public func allReduceSeconds(bytes: Double, ranksPerNode g: Int, nodes m: Int) -> Double {
        let intra = cluster.intraNode
        if m <= 1 {
            return min(Self.ringAllReduceSeconds(bytes: bytes, ranks: g, tier: intra),
                       Self.treeAllReduceSeconds(bytes: bytes, ranks: g, tier: intra))
        }
        let tier = cluster.scaleOutTier(spanningNodes: m)
        let shard = bytes / Double(g)
        let inter = min(Self.ringAllReduceSeconds(bytes: shard, ranks: m, tier: tier),
                        Self.treeAllReduceSeconds(bytes: shard, ranks: m, tier: tier))
        return 2 * Self.ringGatherSeconds(bytes: bytes, ranks: g, tier: intra) + inter
    }

    /// Reduce-scatter (or all-gather: the same cost) of a `bytes` buffer per rank, hierarchical.
    public func reduceScatterSeconds(bytes: Double, ranksPerNode g: Int, nodes m: Int) -> Double {
        let intraPhase = Self.ringGatherSeconds(bytes: bytes, ranks: g, tier: cluster.intraNode)
        guard m > 1 else { return intraPhase }
        let tier = cluster.scaleOutTier(spanningNodes: m)
        return intraPhase + Self.ringGatherSeconds(bytes: bytes / Double(g), ranks: m, tier: tier)
    }

    /// All-gather: the mirror of reduce-scatter.
    public func allGatherSeconds(bytes: Double, ranksPerNode g: Int, nodes m: Int) -> Double {
        reduceScatterSeconds(bytes: bytes, ranksPerNode: g, nodes: m)
    }

    /// One member's part of a two-level (hierarchical) all-to-all: it must push and pull
    /// `intraNodeBytes` over the intra-node link and `scaleOutBytes` over its NIC (the larger of
    /// send and receive each); the two tiers run concurrently. The scheme is DeepEP's internode
    /// one, and the runtime's `hierarchical` MoE transport: a token crosses the scale-out tier
    /// once per destination node, to the rank of that node with the sender's local index (its
    /// rail), which forwards it over the intra-node link (NVLink; shared-memory windows in the
    /// runtime) to each expert's rank there while the NIC streams the next rows; node-limited
    /// routing bounds the nodes per token. (The runtime's combine returns one row per crossing
    /// pair, to keep the weighted sum's order; DeepEP's sums on the relay.) The collective takes
    /// the slowest member's time.
    public func allToAllMemberSeconds(intraNodeBytes: Double, scaleOutBytes: Double, spanningNodes m: Int) -> Double {
        let intra = cluster.intraNode
        var seconds = intraNodeBytes / (intra.gbPerSecond * 1e9)
        var latency = intra.latencySeconds
        if m > 1 {
            let tier = cluster.scaleOutTier(spanningNodes: m)
            seconds = max(seconds, scaleOutBytes / (tier.gbPerSecond * 1e9))
            latency += tier.latencySeconds
        }
        return seconds + latency
    }

    /// A point-to-point transfer (pipeline activations and gradients).
    public func pointToPointSeconds(bytes: Double, sameNode: Bool) -> Double {
        sameNode ? cluster.intraNode.seconds(bytes: bytes) : cluster.scaleOutTier(spanningNodes: 2).seconds(bytes: bytes)
    }

    /// One message of `bytes` from rank `from` to rank `to`: NVLink within a node, else the
    /// fabric's tier between their nodes (same leaf, across leaves, across pods). In a multi-plane
    /// fabric (``FatTreeTopology/planes`` > 1) the planes are not connected to each other: a
    /// message between GPUs on different planes first crosses NVLink to the GPU of the source node
    /// on the destination's plane, then the fabric (DeepSeek ISCA'25, arXiv:2505.09343 §5.1:
    /// cross-plane traffic needs intra-node forwarding; NCCL's PXN does the same).
    public func pointToPointSeconds(bytes: Double, from: Int, to: Int) -> Double {
        let g = max(1, cluster.gpusPerNode)
        guard from / g != to / g else { return cluster.intraNode.seconds(bytes: bytes) }
        let fabric = cluster.topology.tier(nicGbPerSecond: cluster.scaleOutGbPerSecond, between: from / g, and: to / g).seconds(bytes: bytes)
        guard cluster.topology.plane(gpu: from % g) != cluster.topology.plane(gpu: to % g) else { return fabric }
        return cluster.intraNode.seconds(bytes: bytes) + fabric
    }
}
