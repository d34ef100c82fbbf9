import Foundation
import Hardware
import Program
import Simulator
import Testing
import Workload

/// MoE all-to-all costs with device-limited routing, by hand.
@Suite struct OpCostModelTests {
    /// 8 members on one node of the fixture (NVLink 360 GB/s, 3.3 µs), uniform load, 1000 tokens
    /// per rank, top-8, hidden 1000, 2-byte elements. No limit: every pair travels, a member pushes
    /// max(1000·8, 1000·8·8/8)·7/8 = 7000 rows = 14,000,000 bytes: 14e6/360e9 + 3.3e-6 s. Device
    /// limit 2: a token goes once to each of min(8·(1 − (7/8)^8), 2) = 2 GPUs: 1750 rows =
    /// 3,500,000 bytes: 3.5e6/360e9 + 3.3e-6 s. A limit of 8 (≥ the 5.2511 distinct GPUs of top-8
    /// over 8) still sends once per GPU: 5.2511·1000·7/8 rows.
    @Test func deviceLimitSendsOncePerGPU() throws {
        let cluster = try Fixtures.singleNode(gpus: 8)
        let costs = OpCostModel(cluster: cluster, setup: TrainingSetup())
        let shares = [Double](repeating: 1.0 / 8, count: 8)
        func seconds(_ limit: Int) -> Double {
            costs.allToAllSeconds(tokens: 1000, topK: 8, hidden: 1000, elementBytes: 2,
                                  route: Route(hostShare: shares, nodeLimit: 0, gpusPerNode: 8, deviceLimit: limit))
        }
        #expect(abs(seconds(0) / (14e6 / 360e9 + 3.3e-6) - 1) < 1e-12)
        #expect(abs(seconds(2) / (3.5e6 / 360e9 + 3.3e-6) - 1) < 1e-12)
        let distinct: Double = 8 * (1 - pow(7.0 / 8.0, 8.0))
        #expect(abs(distinct - 5.2511) < 1e-4)
        #expect(abs(seconds(8) / (distinct * 1000 * 7 / 8 * 2000 / 360e9 + 3.3e-6) - 1) < 1e-12)
    }

    /// Across nodes the nodes a token reaches are capped by the device limit too: 16 members on two
    /// 8-GPU nodes, top-8: E[nodes] = 2·(1 − (1/2)^8) = 1.992, capped at 1 by a device limit of 1.
    @Test func deviceLimitCapsNodesPerToken() throws {
        let one = try Fixtures.singleNode(gpus: 8)
        let cluster = ClusterSpec(name: "two", chip: one.chip, nodes: 2, gpusPerNode: 8, intraNode: one.intraNode,
                                  scaleOutGbPerSecond: 50, topology: one.topology, usdPerGpuHour: 2)
        let costs = OpCostModel(cluster: cluster, setup: TrainingSetup())
        let shares = [Double](repeating: 1.0 / 16, count: 16)
        let limited = costs.allToAllSeconds(tokens: 1000, topK: 8, hidden: 1000, elementBytes: 2,
                                            route: Route(hostShare: shares, nodeLimit: 0, gpusPerNode: 8, deviceLimit: 1))
        let free = costs.allToAllSeconds(tokens: 1000, topK: 8, hidden: 1000, elementBytes: 2,
                                         route: Route(hostShare: shares, nodeLimit: 0, gpusPerNode: 8))
        #expect(limited < free)
        // One copy per token; scale-out: 1000 tokens × 1 node × (2−1)/2 × 1000 × 2 bytes = 1e6 bytes
        // sent, and the same received (1000·16·min(1, 1·1/2)·(1/2)/8 rows × 2000 bytes = 1e6).
        // Intra-node: 1000 rows × 7/8 × 2000 bytes = 1.75e6.
        let expected = CollectiveCostModel(cluster: cluster).allToAllMemberSeconds(intraNodeBytes: 1.75e6, scaleOutBytes: 1e6,
                                                                                 spanningNodes: 2)
        #expect(abs(limited / expected - 1) < 1e-12)
    }

    /// A job's reduce-scatter and all-gather over all its ranks take the cluster file's measured
    /// times (interpolated); a group smaller than the job, or a file without them, the link model.
    @Test func jobCollectivesOverEveryRankTakeTheMeasuredTimes() throws {
        var cluster = try Fixtures.cluster("h100-2048")
        cluster.nodes = 1
        cluster.gpusPerNode = 2
        let linkOnly = OpCostModel(jobOn: cluster)
        cluster.measured = MeasuredCollectives(reduceScatter: [.init(bytes: 1000, seconds: 1e-3), .init(bytes: 4000, seconds: 3e-3)],
                                               allGather: [.init(bytes: 1000, seconds: 4e-4)])
        let costs = OpCostModel(jobOn: cluster)
        let scatter = WorkItem.collective(.reduceScatter, group: .data, bytes: 2500, ranksPerNode: 2, nodes: 1)
        let gather = WorkItem.collective(.allGather, group: .data, bytes: 2000, ranksPerNode: 2, nodes: 1)
        // 2500 B: 1 ms + 1500/3000 · 2 ms = 2 ms; an all-gather of 2000 B at 0.4 ms per 1000 B = 0.8 ms.
        #expect(abs(costs.seconds(scatter, routes: []) - 2e-3) < 1e-15)
        #expect(abs(costs.seconds(gather, routes: []) - 8e-4) < 1e-15)
        #expect(costs.seconds(scatter, routes: []) != linkOnly.seconds(scatter, routes: []))
        // One rank of the two: not the measured group.
        let alone = WorkItem.collective(.reduceScatter, group: .data, bytes: 2500, ranksPerNode: 1, nodes: 1)
        #expect(costs.seconds(alone, routes: []) == linkOnly.seconds(alone, routes: []))
    }
}
