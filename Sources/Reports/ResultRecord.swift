/// One line of `results.jsonl`. The file starts with a ``JobRecord`` and continues with one
/// ``TaskRecord`` per GEMM task per rank, one ``MoEStepRecord`` per MoE step per rank, or one
/// ``BatchRecord`` per batch task per rank, or one ``TrainStepRecord`` per train step per rank, in
/// completion order. A line whose `type` this build
/// does not know decodes as ``unknown(type:)`` so that readers of newer files skip it instead of
/// failing.
public enum ResultRecord: Codable, Sendable, Equatable {
    case job(JobRecord)
    case task(TaskRecord)
    case moe(MoEStepRecord)
    case batch(BatchRecord)
    case train(TrainStepRecord)
    /// A record of a type this build does not know; only its `type` is kept.
    case unknown(type: String)

    private enum CodingKeys: String, CodingKey { case type }

    public init(from decoder: Decoder) throws {
        let type = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .type)
        switch type {
        case "job": self = .job(try JobRecord(from: decoder))
        case "task": self = .task(try TaskRecord(from: decoder))
        case "moe": self = .moe(try MoEStepRecord(from: decoder))
        case "batch": self = .batch(try BatchRecord(from: decoder))
        case "train": self = .train(try TrainStepRecord(from: decoder))
        default: self = .unknown(type: type)
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .job(let record): try record.encode(to: encoder)
        case .task(let record): try record.encode(to: encoder)
        case .moe(let record): try record.encode(to: encoder)
        case .batch(let record): try record.encode(to: encoder)
        case .train(let record): try record.encode(to: encoder)
        case .unknown(let type):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
        }
    }
}

/// The first line of `results.jsonl`: what ran, where, from which build.
public struct JobRecord: Codable, Sendable, Equatable {
    public var type = "job"
    /// The job's name.
    public var job: String
    /// The job file's path as given.
    public var jobFile: String
    /// The job file's exact contents.
    public var jobFileContents: String
    /// Number of MPI ranks.
    public var ranks: Int
    /// Host of each rank, by rank.
    public var hostnames: [String]
    /// The job's default seed (each task record carries its own).
    public var seed: UInt64
    /// The git revision of the source tree the executable was built from, or "unknown".
    public var gitRevision: String
    /// `debug` or `release`.
    public var buildConfiguration: String
    /// Frugal's version.
    public var frugalVersion: String
    /// The MPI library's version string.
    public var mpiLibrary: String
    /// ISO 8601, UTC.
    public var startTime: String

    public init(job: String, jobFile: String, jobFileContents: String, ranks: Int, hostnames: [String], seed: UInt64,
                gitRevision: String, buildConfiguration: String, frugalVersion: String, mpiLibrary: String, startTime: String) {
        self.job = job
        self.jobFile = jobFile
        self.jobFileContents = jobFileContents
        self.ranks = ranks
        self.hostnames = hostnames
        self.seed = seed
        self.gitRevision = gitRevision
        self.buildConfiguration = buildConfiguration
        self.frugalVersion = frugalVersion
        self.mpiLibrary = mpiLibrary
        self.startTime = startTime
    }
}

/// One rank's measurements for one task. Times are medians over the task's repetitions.
public struct TaskRecord: Codable, Sendable, Equatable {
    public var type = "task"
    public var job: String
    /// The task's name and its position in the job.
    public var task: String
    public var taskIndex: Int
    /// `gemm`.
    public var kind: String
    public var rank: Int
    public var ranks: Int
    public var host: String
    public var m: Int
    public var n: Int
    public var k: Int
    /// `rows | cols | grid`, and the process grid as `RxC`.
    public var sharding: String
    public var grid: String
    /// The block of C this rank computed: `[rowStart, rowEnd)`, `[columnStart, columnEnd)`.
    public var blockRows: [Int]
    public var blockColumns: [Int]
    public var repetitions: Int
    public var seed: UInt64
    /// Floating-point operations of this rank's block, one repetition.
    public var flops: Double
    /// Median seconds in the kernel.
    public var computeSeconds: Double
    /// Median seconds in MPI (operand exchange, SUMMA broadcasts, gathering C).
    public var commSeconds: Double
    /// Median seconds of one repetition, barrier to barrier.
    public var wallSeconds: Double
    /// `flops / computeSeconds / 1e9`.
    public var gflops: Double
    /// Whether this rank's block matched the single-rank reference within `tolerance`.
    public var verified: Bool
    /// Largest |C − C_ref| over this rank's block (0 when not verified).
    public var maxAbsError: Double
    /// `maxAbsError / max|C_ref|` (over the whole matrix).
    public var maxRelError: Double
    public var tolerance: Double
    /// The sum of this rank's block of C as rank 0 assembled it (nil in files from older builds):
    /// what a resumed run is compared with an uninterrupted one by.
    public var outputChecksum: Double?

    public init(job: String, task: String, taskIndex: Int, kind: String, rank: Int, ranks: Int, host: String,
                m: Int, n: Int, k: Int, sharding: String, grid: String, blockRows: [Int], blockColumns: [Int],
                repetitions: Int, seed: UInt64, flops: Double, computeSeconds: Double, commSeconds: Double,
                wallSeconds: Double, gflops: Double, verified: Bool, maxAbsError: Double, maxRelError: Double,
                tolerance: Double, outputChecksum: Double? = nil) {
        self.job = job
        self.task = task
        self.taskIndex = taskIndex
        self.kind = kind
        self.rank = rank
        self.ranks = ranks
        self.host = host
        self.m = m
        self.n = n
        self.k = k
        self.sharding = sharding
        self.grid = grid
        self.blockRows = blockRows
        self.blockColumns = blockColumns
        self.repetitions = repetitions
        self.seed = seed
        self.flops = flops
        self.computeSeconds = computeSeconds
        self.commSeconds = commSeconds
        self.wallSeconds = wallSeconds
        self.gflops = gflops
        self.verified = verified
        self.maxAbsError = maxAbsError
        self.maxRelError = maxRelError
        self.tolerance = tolerance
        self.outputChecksum = outputChecksum
    }
}

/// What identifies a record in `results.jsonl`: the task (its index in the job file), the step
/// (0 for a GEMM or batch task, which are one step) and the rank. A results file holds each key
/// at most once.
public struct RecordKey: Hashable, Sendable, CustomStringConvertible {
    public var taskIndex: Int
    public var step: Int
    public var rank: Int

    public init(taskIndex: Int, step: Int, rank: Int) {
        self.taskIndex = taskIndex
        self.step = step
        self.rank = rank
    }

    public var description: String { "task \(taskIndex) step \(step) rank \(rank)" }
}

extension ResultRecord {
    /// The record's key; nil for the job record and records of unknown types.
    public var key: RecordKey? {
        switch self {
        case .task(let record): return RecordKey(taskIndex: record.taskIndex, step: 0, rank: record.rank)
        case .batch(let record): return RecordKey(taskIndex: record.taskIndex, step: 0, rank: record.rank)
        case .moe(let record): return RecordKey(taskIndex: record.taskIndex, step: record.step, rank: record.rank)
        case .train(let record): return RecordKey(taskIndex: record.taskIndex, step: record.step, rank: record.rank)
        case .job, .unknown: return nil
        }
    }
}
