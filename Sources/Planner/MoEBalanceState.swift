import Workload

/// The balancing state of a MoE layer between steps: the auxiliary-loss-free bias and the
/// expert placement. It changes only through ``record(loads:)``, a pure function of the
/// measured per-expert loads, so every rank, rank 0's reference and a resumed run (replaying
/// recorded loads) hold the same state at every step.
public struct MoEBalanceState: Sendable, Equatable {
    public let task: MoETask
    public let ranks: Int
    /// Added to router scores for expert selection only.
    public private(set) var bias: [Float]
    public private(set) var placement: ExpertPlacement
    /// Steps recorded so far, and loads summed since the last placement.
    public private(set) var steps = 0
    private var pendingLoads: [Int]

    public init(task: MoETask, ranks: Int) {
        self.task = task
        self.ranks = ranks
        bias = [Float](repeating: 0, count: task.routedExperts)
        pendingLoads = [Int](repeating: 0, count: task.routedExperts)
        switch task.balance {
        case .eplb(let redundant, _):
            // Before any measurement, all experts weigh the same.
            placement = ExpertLoadBalancer.place(loads: Array(repeating: 1, count: task.routedExperts), ranks: ranks,
                                                 gpusPerNode: task.gpusPerNode, groups: task.groups, redundantExperts: redundant)
        default:
            placement = ExpertPlacement(experts: task.routedExperts, ranks: ranks)
        }
    }

    /// Applies one step's global loads (pairs routed to each expert).
    public mutating func record(loads: [Int]) {
        steps += 1
        switch task.balance {
        case .none:
            break
        case .auxFree(let size):
            let mean = Double(loads.reduce(0, +)) / Double(max(1, loads.count))
            for expert in bias.indices {
                let load = Double(loads[expert])
                if load > mean { bias[expert] -= Float(size) } else if load < mean { bias[expert] += Float(size) }
            }
        case .eplb(let redundant, let interval):
            for expert in loads.indices { pendingLoads[expert] += loads[expert] }
            if steps % interval == 0 {
                placement = ExpertLoadBalancer.place(loads: pendingLoads, ranks: ranks, gpusPerNode: task.gpusPerNode,
                                                     groups: task.groups, redundantExperts: redundant)
                pendingLoads = [Int](repeating: 0, count: task.routedExperts)
            }
        }
    }
}
