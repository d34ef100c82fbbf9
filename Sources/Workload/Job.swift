import Config
import Hardware

/// A batch of work for `frugal run`: named tasks executed one after another on every rank.
///
/// Read from a TOML job file (`Cluster/jobs/*.toml`); see docs/running-jobs.md, "Job files", for the keys.
public struct Job: Sendable, Equatable {
    /// The job's name (defaults to the file name).
    public var name: String
    /// The default seed of every task's inputs.
    public var seed: UInt64
    /// The tasks, in order.
    public var tasks: [JobTask]
    /// The cluster the run is paced to (`[cluster]`: slow ranks, capped links), or nil.
    public var cluster: EmulatedCluster?

    public init(name: String, seed: UInt64, tasks: [JobTask], cluster: EmulatedCluster? = nil) {
        self.name = name
        self.seed = seed
        self.tasks = tasks
        self.cluster = cluster
    }
}

/// One task of a job.
public enum JobTask: Sendable, Equatable {
    /// A sharded single-precision matrix multiply.
    case gemm(GemmTask)
    /// An expert-parallel Mixture-of-Experts layer.
    case moe(MoETask)
    /// Independent GEMMs scheduled over the ranks.
    case batch(BatchTask)
    /// A real training step of a model across the ranks.
    case train(TrainTask)

    /// The task's name, unique within its job.
    public var name: String {
        switch self {
        case .gemm(let task): return task.name
        case .moe(let task): return task.name
        case .batch(let task): return task.name
        case .train(let task): return task.name
        }
    }

    /// Steps the task takes: one for a GEMM or batch task, `steps` for a MoE or train task.
    public var steps: Int {
        switch self {
        case .gemm, .batch: return 1
        case .moe(let task): return task.steps
        case .train(let task): return task.steps
        }
    }

    /// The task's kind.
    public var kind: JobTaskKind {
        switch self {
        case .gemm: return .gemm
        case .moe: return .moe
        case .batch: return .batch
        case .train: return .train
        }
    }
}

/// The kinds of job task; the raw value is the name a job file and the reports write.
public enum JobTaskKind: String, Sendable, Codable, CaseIterable {
    case gemm, moe, batch, train
}
