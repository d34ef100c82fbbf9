import Foundation
import Hardware
import Planner
import Program
import Workload

/// The predicted `frugal run` of one job task — usually on the cluster file `frugal calibrate`
/// wrote for this machine: per rank, seconds in kernels and in MPI (per repetition or step).
/// Comparing it with the measured run is the check that the simulator predicts the machine it
/// runs on.
///
/// Made the way a training step is: the task is lowered into a ``RankProgram``
/// (``JobLowering``), every op costed by ``OpCostModel`` (``OpCostModel/init(jobOn:)``: the
/// runtime's FP32 GEMMs and flat MPI collectives); a rank's compute is its compute-stream ops,
/// its comm its communication-stream ops, times the program's loop count. A batch task's pool
/// costs what the best schedule reaches: max(total / ranks, largest item).
public struct TaskPrediction: Codable, Sendable {
    public var task: String
    public var kind: String
    public var computeSeconds: [Double]
    public var commSeconds: [Double]
    /// The slowest rank's compute + comm: what the run's wall time per repetition should be.
    public var wallSeconds: Double { zip(computeSeconds, commSeconds).map { $0 + $1 }.max() ?? 0 }

    public init(task: String, kind: String, computeSeconds: [Double], commSeconds: [Double]) {
        self.task = task
        self.kind = kind
        self.computeSeconds = computeSeconds
        self.commSeconds = commSeconds
    }

    /// Every task of `job` run on `ranks` ranks of `cluster`.
    public static func predict(job: Job, ranks: Int, cluster: ClusterSpec) -> [TaskPrediction] {
        let lowering = JobLowering(ranks: ranks), costs = OpCostModel(jobOn: cluster)
        let total = lowering.ranks
        return job.tasks.map { task in
            var compute: [Double] = [], comm: [Double] = []
            if JobLowering.isRankSymmetric(task) {
                // Every rank does rank 0's work.
                let (c, m) = cost(lowering.lower(task, ranks: 0..<1), ranks: 0..<1, costs: costs, total: total)
                compute = Array(repeating: c.first ?? 0, count: total)
                comm = Array(repeating: m.first ?? 0, count: total)
            } else {
                // A window of ranks at a time: the program's memory stays bounded whatever the rank count.
                for start in stride(from: 0, to: total, by: windowRanks) {
                    let window = start..<min(total, start + windowRanks)
                    let (c, m) = cost(lowering.lower(task, ranks: window), ranks: window, costs: costs, total: total)
                    compute += c
                    comm += m
                }
            }
            return TaskPrediction(task: task.name, kind: kind(task), computeSeconds: compute, commSeconds: comm)
        }
    }

    /// Ranks lowered at once.
    static let windowRanks = 1024

    /// Per rank of `window` of `program`: compute-stream and communication-stream seconds.
    static func cost(_ program: RankProgram, ranks window: Range<Int>, costs: OpCostModel, total ranks: Int) -> (compute: [Double], comm: [Double]) {
        let segments = costs.segmentSeconds(program.work, routes: program.routes)
        var compute = [Double](repeating: 0, count: window.count), comm = compute
        let loops = Double(program.loopCount)
        for (index, rank) in window.enumerated() {
            for op in program.ops(of: rank) {
                let segment = program.segment[op]
                guard segment >= 0 else { continue }
                var seconds = segments[Int(segment)]
                if program.kind[op] == OperationKind.pool.rawValue {
                    let items = program.work.items(of: segment).map { costs.seconds($0, routes: program.routes) }
                    seconds = BatchSchedule.lowerBound(itemSeconds: items, ranks: ranks)
                }
                if program.stream[op] == 0 { compute[index] += loops * seconds } else { comm[index] += loops * seconds }
            }
        }
        return (compute, comm)
    }

    static func kind(_ task: JobTask) -> String {
        switch task {
        case .gemm: return "gemm"
        case .moe: return "moe"
        case .batch: return "batch"
        }
    }
}
