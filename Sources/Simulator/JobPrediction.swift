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
        return job.tasks.map { task in
            let symmetric = JobLowering.isRankSymmetric(task)
            let program = lowering.lower(task, throughRank: symmetric ? 0 : nil)
            var (compute, comm) = cost(program, costs: costs, ranks: lowering.ranks)
            if symmetric, let first = compute.first, let firstComm = comm.first {
                compute = Array(repeating: first, count: lowering.ranks)
                comm = Array(repeating: firstComm, count: lowering.ranks)
            }
            return TaskPrediction(task: task.name, kind: kind(task), computeSeconds: compute, commSeconds: comm)
        }
    }

    /// Per lowered rank of `program`: compute-stream and communication-stream seconds.
    static func cost(_ program: RankProgram, costs: OpCostModel, ranks: Int) -> (compute: [Double], comm: [Double]) {
        let segments = costs.segmentSeconds(program.work, routes: program.routes)
        var compute = [Double](repeating: 0, count: program.ranks), comm = compute
        let loops = Double(program.loopCount)
        for rank in 0..<program.ranks {
            for op in program.ops(of: rank) {
                let segment = program.segment[op]
                guard segment >= 0 else { continue }
                var seconds = segments[Int(segment)]
                if program.kind[op] == OperationKind.pool.rawValue {
                    let items = program.work.items(of: segment).map { costs.seconds($0, routes: program.routes) }
                    seconds = BatchSchedule.lowerBound(itemSeconds: items, ranks: ranks)
                }
                if program.stream[op] == 0 { compute[rank] += loops * seconds } else { comm[rank] += loops * seconds }
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
