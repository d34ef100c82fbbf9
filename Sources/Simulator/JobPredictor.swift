import Foundation
import Hardware
import Planner
import Workload

/// Predicts a `frugal run` of a job file on a cluster file — usually the one `frugal calibrate`
/// wrote for this machine — from the same plan the runtime executes: each rank's GEMM calls
/// timed by the chip's peak × efficiency(size), its collectives by the alpha-beta link model.
/// Comparing this with the measured run is the check that the simulator can predict the machine
/// it runs on.
public struct JobPredictor {
    public let cluster: ClusterSpec

    public init(cluster: ClusterSpec) { self.cluster = cluster }

    /// One task's prediction: per rank, seconds in kernels and in MPI (per repetition or step).
    public struct TaskPrediction: Codable, Sendable {
        public var task: String
        public var kind: String
        public var computeSeconds: [Double]
        public var commSeconds: [Double]
        /// The slowest rank's compute + comm: what the run's wall time per repetition should be.
        public var wallSeconds: Double { zip(computeSeconds, commSeconds).map { $0 + $1 }.max() ?? 0 }
    }

    public func predict(job: Job, ranks: Int) -> [TaskPrediction] {
        job.tasks.map { task in
            switch task {
            case .gemm(let gemm): return predictGemm(gemm, ranks: ranks)
            case .moe(let moe): return predictMoE(moe, ranks: ranks)
            case .batch(let batch): return predictBatch(batch, ranks: ranks)
            }
        }
    }

    /// Seconds of one GEMM call of m×n×k on one rank.
    public func gemmSeconds(m: Int, n: Int, k: Int) -> Double {
        let flops = 2 * Double(m) * Double(n) * Double(k)
        guard flops > 0 else { return 0 }
        return flops / (cluster.chip.bf16DenseTflops * 1e12 * cluster.chip.efficiency.efficiency(flops: flops))
    }

    private var link: LinkTier { ranksShareOneNode ? cluster.intraNode : cluster.scaleOutTier(spanningNodes: cluster.nodes) }
    private var ranksShareOneNode: Bool { cluster.nodes <= 1 }

    /// Ring all-gather of `bytes` in total over `ranks`: (n−1)/n · S/B + (n−1)·α.
    func allGatherSeconds(totalBytes: Double, ranks: Int) -> Double {
        CollectiveCostModel.ringGatherSeconds(bytes: totalBytes, ranks: ranks, tier: link)
    }

    /// A collective's copy of a rank's own block, at memory speed (read and write).
    func selfCopySeconds(_ bytes: Double) -> Double {
        2 * bytes / (cluster.chip.memoryGbPerSecond * 1e9)
    }

    /// Binomial-tree broadcast: ⌈log₂ n⌉ · (α + S/B).
    func broadcastSeconds(bytes: Double, ranks: Int) -> Double {
        guard ranks > 1 else { return 0 }
        return ceil(log2(Double(ranks))) * link.seconds(bytes: bytes)
    }

    func predictGemm(_ task: GemmTask, ranks: Int) -> TaskPrediction {
        let plan = GemmPlan(task: task, ranks: ranks)
        var compute: [Double] = [], comm: [Double] = []
        let floatBytes = Double(MemoryLayout<Float>.size)
        let gatheredBytes = Double(task.m) * Double(task.n) * floatBytes
        for rank in 0..<ranks {
            let block = plan.outputBlock(of: rank)
            var seconds = 0.0, transfer = 0.0
            switch task.sharding {
            case .rows:
                seconds = gemmSeconds(m: block.rows.count, n: task.n, k: task.k)
                let total = Double(task.k) * Double(task.n) * floatBytes
                transfer = allGatherSeconds(totalBytes: total, ranks: ranks) + selfCopySeconds(total / Double(ranks))
            case .cols:
                seconds = gemmSeconds(m: task.m, n: block.columns.count, k: task.k)
                let total = Double(task.m) * Double(task.k) * floatBytes
                transfer = allGatherSeconds(totalBytes: total, ranks: ranks) + selfCopySeconds(total / Double(ranks))
            case .grid:
                for panel in plan.summaPanels {
                    seconds += gemmSeconds(m: block.rows.count, n: block.columns.count, k: panel.k.count)
                    transfer += broadcastSeconds(bytes: Double(block.rows.count) * Double(panel.k.count) * floatBytes, ranks: plan.grid.columns)
                    transfer += broadcastSeconds(bytes: Double(panel.k.count) * Double(block.columns.count) * floatBytes, ranks: plan.grid.rows)
                }
            }
            // Gathering C: rank 0 copies its own block and receives every other; the others send theirs.
            if rank == 0 { transfer += selfCopySeconds(Double(block.elementCount) * floatBytes) }
            if ranks > 1 {
                transfer += rank == 0
                    ? Double(ranks - 1) * link.latencySeconds + (gatheredBytes - Double(block.elementCount) * floatBytes) / (link.gbPerSecond * 1e9)
                    : link.seconds(bytes: Double(block.elementCount) * floatBytes)
            }
            compute.append(seconds)
            comm.append(transfer)
        }
        return TaskPrediction(task: task.name, kind: "gemm", computeSeconds: compute, commSeconds: comm)
    }

    /// Per step, routing uniform in expectation: each rank's experts receive tokens·ranks·topK/experts
    /// rows each; dispatch and combine move tokens·topK rows per rank, (n−1)/n of them off-rank.
    func predictMoE(_ task: MoETask, ranks: Int) -> TaskPrediction {
        let h = task.hidden, f = task.expertHidden, m = task.microBatches, chunk = task.tokens / max(1, m)
        let perExpert = Double(task.tokens) * Double(ranks) * Double(task.topK) / Double(max(1, task.experts)) / Double(max(1, m))
        let expertsPerRank = task.experts / max(1, ranks)
        var compute = Double(m) * gemmSeconds(m: chunk, n: task.experts, k: h)
        let rows = perExpert.isFinite ? max(1, Int(min(perExpert.rounded(), Double(Int32.max)))) : 1
        let ffn = 2 * gemmSeconds(m: rows, n: f, k: h) + gemmSeconds(m: rows, n: h, k: f)
        compute += Double(m) * Double(expertsPerRank) * ffn
        compute += Double(m) * Double(task.sharedExperts) * (2 * gemmSeconds(m: chunk, n: f, k: h) + gemmSeconds(m: chunk, n: h, k: f))
        if task.backward { compute += 3 * (compute - Double(m) * gemmSeconds(m: chunk, n: task.experts, k: h)) }
        let bytes = Double(task.tokens) * Double(task.topK) * Double(h) * Double(MemoryLayout<Float>.size) * Double(ranks - 1) / Double(max(1, ranks))
        var comm = ranks > 1 ? 2 * (link.latencySeconds * Double(ranks - 1) * Double(m) + bytes / (link.gbPerSecond * 1e9)) : 0
        if task.backward { comm *= 2 }
        return TaskPrediction(task: task.name, kind: "moe", computeSeconds: Array(repeating: compute, count: ranks),
                              commSeconds: Array(repeating: comm, count: ranks))
    }

    /// The lower bound a good schedule reaches: max(total / ranks, largest item).
    func predictBatch(_ task: BatchTask, ranks: Int) -> TaskPrediction {
        let items = task.shapes.map { gemmSeconds(m: $0.m, n: $0.n, k: $0.k) }
        let makespan = BatchSchedule.lowerBound(itemSeconds: items, ranks: ranks)
        return TaskPrediction(task: task.name, kind: "batch", computeSeconds: Array(repeating: makespan, count: ranks),
                              commSeconds: Array(repeating: 0, count: ranks))
    }
}
