import Foundation
import Hardware
import Planner
import Program
import Reports
import Workload

/// The predicted `frugal run` of one job task — usually on the cluster file `frugal calibrate`
/// wrote for this machine: per rank, seconds in kernels and in MPI (per repetition or step).
/// Comparing it with the measured run is the check that the simulator predicts the machine it
/// runs on.
///
/// Made the way a training step is: the task is lowered into a ``RankProgram``
/// (``JobLowering``), every op costed by ``OpCostModel`` (``OpCostModel/init(jobOn:)``: the
/// runtime's FP32 GEMMs and flat MPI collectives); a rank's compute is its compute-stream ops,
/// its comm its communication-stream ops, times the program's loop count. A MoE task is lowered
/// from its planned steps (``MoEDispatchPlanner``: each rank's load as the runtime routes it).
/// A batch task's pool costs what the best schedule reaches: max(total / ranks, largest item).
/// A train task's step is timed as the runtime runs it, op kind by op kind (``TrainStepPrediction``;
/// ``train``): its compute and comm are the sums of its compute and communication kinds.
public struct TaskPrediction: Codable, Sendable {
    public var task: String
    public var kind: JobTaskKind
    public var computeSeconds: [Double]
    public var commSeconds: [Double]
    /// A train task's step by op kind and rank (nil for other tasks).
    public var train: TrainStepPrediction?
    /// The slowest rank's compute + comm (a train task's: its step, with the runtime's copies after
    /// its last op): what the run's wall time per repetition or step should be.
    public var wallSeconds: Double {
        if let train { return train.stepSeconds.max() ?? 0 }
        return zip(computeSeconds, commSeconds).map { $0 + $1 }.max() ?? 0
    }

    public init(task: String, kind: JobTaskKind, computeSeconds: [Double], commSeconds: [Double]) {
        self.task = task
        self.kind = kind
        self.computeSeconds = computeSeconds
        self.commSeconds = commSeconds
    }

    /// Every task of `job` run on `ranks` ranks of `cluster`.
    /// With the job's emulated cluster (`[cluster]`, ``Job/cluster``), the costs are those of
    /// the run paced to it: its links replace the cluster's (``OpCostModel/init(jobOn:emulating:ranks:)``)
    /// and each rank's compute is multiplied by its slowdown.
    public static func predict(job: Job, ranks: Int, cluster: ClusterSpec) -> [TaskPrediction] {
        let lowering = JobLowering(ranks: ranks)
        let costs = job.cluster.map { OpCostModel(jobOn: cluster, emulating: $0, ranks: lowering.ranks) } ?? OpCostModel(jobOn: cluster)
        return job.tasks.map { task in
            var (compute, comm): ([Double], [Double])
            let slowdown = (0..<lowering.ranks).map { job.cluster?.slowdown(of: $0) ?? 1 }
            if case .train(let train) = task,
               let step = try? TrainStepPrediction.predict(program: lowering.lower(task), costs: costs, slowdown: slowdown,
                                                           held: heldParameters(train, ranks: lowering.ranks)) {
                var prediction = TaskPrediction(task: task.name, kind: task.kind, computeSeconds: step.computeSeconds, commSeconds: step.commSeconds)
                prediction.train = step
                return prediction
            }
            if case .moe(let moe) = task {
                (compute, comm) = predictMoE(moe, lowering: lowering, costs: costs, nodeRanks: job.cluster?.gpusPerNode)
            } else {
                (compute, comm) = cost(task, lowering: lowering, costs: costs)
            }
            for rank in compute.indices { compute[rank] *= slowdown[rank] }
            return TaskPrediction(task: task.name, kind: task.kind, computeSeconds: compute, commSeconds: comm)
        }
    }

    /// Per rank, the parameters `train` has it train (its stage's, ``RankParameters``).
    static func heldParameters(_ train: TrainTask, ranks: Int) -> [RankParameters.Counts] {
        let lowering = TrainingLowering(model: train.model, setup: train.setup, gpusPerNode: ranks)
        return (0..<ranks).map { lowering.parameters.perStage[lowering.ranks.coordinates(of: $0).stage] }
    }

    /// Per rank, the compute and comm seconds of `task`'s program (of `dispatch` for a MoE task).
    static func cost(_ task: JobTask, lowering: JobLowering, costs: OpCostModel,
                     dispatch: MoEStepDispatch? = nil) -> (compute: [Double], comm: [Double]) {
        let total = lowering.ranks
        if JobLowering.isRankSymmetric(task) {
            // Every rank does rank 0's work.
            let (c, m) = cost(lowering.lower(task, ranks: 0..<1), ranks: 0..<1, costs: costs, total: total)
            return (Array(repeating: c.first ?? 0, count: total), Array(repeating: m.first ?? 0, count: total))
        }
        // A window of ranks at a time: the program's memory stays bounded whatever the rank count.
        var compute: [Double] = [], comm: [Double] = []
        for start in stride(from: 0, to: total, by: windowRanks) {
            let window = start..<min(total, start + windowRanks)
            let (c, m) = cost(lowering.lower(task, ranks: window, dispatch: dispatch), ranks: window, costs: costs, total: total)
            compute += c
            comm += m
        }
        return (compute, comm)
    }

    /// A MoE task, step by step as the runtime runs it (``MoEDispatchPlanner``: routing, capacity,
    /// balancing), for at most ``moeSteps`` steps and a few routing budgets: per rank, the
    /// median over the steps of its compute and of its comm — as `frugal run --predict` takes
    /// the median of the measured steps.
    /// The transport is the task's (`frugal run --predict` sets the one the run used); `auto`
    /// is taken as the runtime takes it on one host: hierarchical across the job's virtual nodes
    /// (`nodeRanks`, `[cluster] gpusPerNode`), else window (whose rows are the flat ones).
    static func predictMoE(_ task: MoETask, lowering: JobLowering, costs: OpCostModel,
                           nodeRanks: Int? = nil) -> (compute: [Double], comm: [Double]) {
        var task = task
        if task.transport == .auto {
            task.transport = (nodeRanks ?? lowering.ranks) < lowering.ranks ? .hierarchical : .window
        }
        guard var planner = try? MoEDispatchPlanner(task: task, ranks: lowering.ranks) else {
            return cost(.moe(task), lowering: lowering, costs: costs)
        }
        planner.nodeRanks = nodeRanks ?? lowering.ranks
        let steps = max(1, min(task.steps, moeSteps, moeRoutingBudgets * MoEDispatchPlanner.routingBudget / max(1, planner.routingWork)))
        var computes: [[Double]] = [], comms: [[Double]] = []
        for _ in 0..<steps {
            guard let dispatch = try? planner.next() else { break }
            let (c, m) = cost(.moe(task), lowering: lowering, costs: costs, dispatch: dispatch)
            computes.append(c)
            comms.append(m)
        }
        guard !computes.isEmpty else { return cost(.moe(task), lowering: lowering, costs: costs) }
        func median(_ byStep: [[Double]]) -> [Double] {
            (0..<lowering.ranks).map { rank in Statistics.median(byStep.map { $0[rank] }) ?? 0 }
        }
        return (median(computes), median(comms))
    }

    /// Most MoE steps planned for one prediction, and the routing budgets they may take together.
    static let moeSteps = 32
    static let moeRoutingBudgets = 4

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
}
