import Foundation
import Hardware
import Planner
import Simulator
import Testing
import Workload

/// Job predictions (lower → cost) against the closed forms the runtime's algorithms give.
@Suite struct JobPredictionTests {
    /// 512³ row-sharded at 2 ranks on a one-node cluster: each rank's 256×512×512 GEMM on the
    /// calibrated curve; comm: ring all-gather of B (1 MiB) + copy of its own half, then the
    /// gather of C (rank 0: copy own block + one message in; rank 1: one message out).
    @Test func rowShardedGemmAtTwoRanksMatchesTheClosedForm() throws {
        var cluster = try Fixtures.cluster("h800-2048")
        cluster.nodes = 1
        let task = GemmTask(name: "rows", m: 512, n: 512, k: 512, sharding: .rows)
        let job = Job(name: "j", seed: 1, tasks: [.gemm(task)])
        let prediction = try #require(TaskPrediction.predict(job: job, ranks: 2, cluster: cluster).first)
        let chip = cluster.chip, link = cluster.intraNode
        let flops = 2.0 * 256 * 512 * 512
        let gemm = flops / (chip.bf16DenseTflops * 1e12 * chip.efficiency.efficiency(flops: flops))
        let memory = chip.memoryGbPerSecond * 1e9
        let b = 512.0 * 512 * 4, half = b / 2
        let gatherB = 0.5 * b / (link.gbPerSecond * 1e9) + link.latencySeconds + 2 * half / memory
        let root = gatherB + 2 * half / memory + link.latencySeconds + half / (link.gbPerSecond * 1e9)
        let other = gatherB + link.seconds(bytes: half)
        #expect(prediction.kind == .gemm)
        for (value, expected) in zip(prediction.computeSeconds + prediction.commSeconds, [gemm, gemm, root, other]) {
            #expect(abs(value - expected) <= 1e-12 * expected)
        }
    }

    /// A batch task's ranks all get the best schedule's makespan: max(total / ranks, largest).
    @Test func batchPredictsTheLowerBound() throws {
        let cluster = try Fixtures.cluster("h800-2048")
        let shapes = [GemmShape(m: 4096, n: 4096, k: 4096), GemmShape(m: 64, n: 64, k: 64), GemmShape(m: 64, n: 64, k: 64)]
        let job = Job(name: "j", seed: 1, tasks: [.batch(BatchTask(name: "b", shapes: shapes, policy: .dynamic))])
        let prediction = try #require(TaskPrediction.predict(job: job, ranks: 3, cluster: cluster).first)
        let kernels = KernelCostModel(chip: cluster.chip, precision: .bf16, communicationSMs: 0)
        let largest = kernels.calibratedGemmSeconds(flops: shapes[0].flops)
        #expect(prediction.computeSeconds == Array(repeating: largest, count: 3))
        #expect(prediction.commSeconds == [0, 0, 0])
    }

    /// A skewed MoE task: each rank's predicted expert compute follows the rows the planned
    /// dispatch sends it (the busiest rank is the slowest); comm is each rank's exchanged bytes.
    @Test func skewedMoEPredictsEachRanksLoad() throws {
        var cluster = try Fixtures.cluster("h800-2048")
        cluster.nodes = 1
        let task = MoETask(name: "moe", tokens: 256, hidden: 64, expertFfnWidth: 128, routedExperts: 8, topK: 2,
                           zipf: 1.5, steps: 1, seed: 5)
        let job = Job(name: "j", seed: 1, tasks: [.moe(task)])
        let prediction = try #require(TaskPrediction.predict(job: job, ranks: 4, cluster: cluster).first)
        #expect(prediction.kind == .moe)
        var planner = try MoEDispatchPlanner(task: task, ranks: 4)
        let dispatch = try planner.next()
        let rows = dispatch.ranks.map(\.rowsReceived)
        let busiest = try #require(rows.indices.max { rows[$0] < rows[$1] })
        let idlest = try #require(rows.indices.min { rows[$0] < rows[$1] })
        #expect(rows[busiest] > rows[idlest])
        #expect(prediction.computeSeconds[busiest] > prediction.computeSeconds[idlest])
        let link = cluster.intraNode
        for (rank, mine) in dispatch.ranks.enumerated() {
            let bytes = Double(max(mine.rowsSentToPeers, mine.rowsReceivedFromPeers)) * 64 * 4
            let expected = 2 * (3 * link.latencySeconds + bytes / (link.gbPerSecond * 1e9))
            #expect(abs(prediction.commSeconds[rank] - expected) <= 1e-12 * expected)
        }
    }

    /// A job paced to an emulated cluster is predicted on it: its capped link replaces the
    /// cluster's (comm as on a cluster with that link), and a rank's compute is its slowdown × the machine's.
    @Test func aCappedJobIsPredictedOnItsEmulatedCluster() throws {
        var cluster = try Fixtures.cluster("h800-2048")
        cluster.nodes = 1
        let task = GemmTask(name: "rows", m: 512, n: 512, k: 512, sharding: .rows)
        let emulated = EmulatedCluster(gpusPerNode: 2, slowdown: [1, 2], intraNode: LinkTier(gbPerSecond: 2, latencySeconds: 1e-3))
        let free = try #require(TaskPrediction.predict(job: Job(name: "j", seed: 1, tasks: [.gemm(task)]), ranks: 2, cluster: cluster).first)
        let capped = try #require(TaskPrediction.predict(job: Job(name: "j", seed: 1, tasks: [.gemm(task)], cluster: emulated),
                                                         ranks: 2, cluster: cluster).first)
        var slow = cluster
        slow.intraNode = LinkTier(gbPerSecond: 2, latencySeconds: 1e-3)
        let expected = try #require(TaskPrediction.predict(job: Job(name: "j", seed: 1, tasks: [.gemm(task)]), ranks: 2, cluster: slow).first)
        #expect(capped.commSeconds == expected.commSeconds)
        #expect(capped.commSeconds.allSatisfy { $0 > 0 } && zip(capped.commSeconds, free.commSeconds).allSatisfy { $0 > 10 * $1 })
        #expect(capped.computeSeconds == [free.computeSeconds[0], 2 * free.computeSeconds[1]])
    }
}
