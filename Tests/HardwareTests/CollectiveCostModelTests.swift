import Foundation
import Hardware
import Testing

@Suite struct CollectiveCostModelTests {
    let cluster: ClusterSpec

    init() throws {
        cluster = try ClusterSpec(contentsOfFile: RepositoryPaths.clusters + "/h800-2048.toml")
    }

    /// Hand-checked: 1 GB ring all-reduce over the 8 GPUs of a node at 160 GB/s, α = 3.3 µs:
    /// 2·7/8·1e9/160e9 + 2·7·3.3 µs = 10.9375 ms + 46.2 µs (the tree, 12.5 ms + 19.8 µs, is slower).
    @Test func ringAllReduceInsideANode() {
        let model = CollectiveCostModel(cluster: cluster)
        let seconds = model.allReduceSeconds(bytes: 1e9, ranksPerNode: 8, nodes: 1)
        #expect(abs(seconds - (2 * 7.0 / 8 * 1e9 / 160e9 + 14 * 3.3e-6)) < 1e-12)
    }

    /// Hierarchical: reduce-scatter and all-gather in the node, then the 1/8 shard all-reduced
    /// across 16 nodes at 50 GB/s per NIC (ring: 2·15/16·125 MB/50 GB/s + 30·2.8 µs).
    @Test func hierarchicalAllReduceAcrossNodes() {
        let model = CollectiveCostModel(cluster: cluster)
        let intra = 7.0 / 8 * 1e9 / 160e9 + 7 * 3.3e-6
        let inter = 2 * 15.0 / 16 * 125e6 / 50e9 + 30 * 2.8e-6
        #expect(abs(model.allReduceSeconds(bytes: 1e9, ranksPerNode: 8, nodes: 16) - (2 * intra + inter)) < 1e-12)
    }

    /// Small messages take the tree: 8 bytes over 16 nodes costs latency only.
    @Test func treeWinsForSmallMessages() {
        let tier = LinkTier(gbPerSecond: 50, latencySeconds: 3e-6)
        let ring = CollectiveCostModel.ringAllReduceSeconds(bytes: 8, ranks: 64, tier: tier)
        let tree = CollectiveCostModel.treeAllReduceSeconds(bytes: 8, ranks: 64, tier: tier)
        #expect(tree < ring)
        #expect(abs(tree - (2 * 8 / 50e9 + 2 * 6 * 3e-6)) < 1e-15)
    }

    /// Crossing leaves of an oversubscribed tree halves bandwidth (a800-2048: 2:1, 16 nodes per leaf).
    @Test func oversubscriptionSlowsCrossLeafTraffic() throws {
        let a800 = try ClusterSpec(contentsOfFile: RepositoryPaths.clusters + "/a800-2048.toml")
        #expect(a800.scaleOutTier(spanningNodes: 16).gbPerSecond == 25)
        #expect(a800.scaleOutTier(spanningNodes: 17).gbPerSecond == 12.5)
        #expect(a800.scaleOutTier(spanningNodes: 17).latencySeconds == 3.7e-6)
    }
}
