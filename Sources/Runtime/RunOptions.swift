import Hardware
import Reports

/// What `frugal run` was asked to do.
public struct RunOptions: Sendable {
    /// How rank 0 prints the results on standard output.
    public enum Format: String, CaseIterable, Sendable {
        /// A per-rank table (nccl-tests style: one header, one row per rank and task).
        case table
        /// One JSON document: `{"job": …, "tasks": [ … ]}`.
        case json
    }

    /// The job file.
    public var jobPath: String
    /// Where `results.jsonl` goes, or nil to write no file.
    public var outDirectory: String?
    public var format: Format
    /// Continue the run recorded in `outDirectory` after its last completed step.
    public var resume: Bool
    /// Fault injection: this rank fails at the start of step `failAtStep` (steps count across the
    /// job: one per GEMM task, one per MoE step).
    public var failRank: Int?
    public var failAtStep: Int?
    /// The GEMM speed batch tasks schedule by (from a calibrated cluster file); nil: every batch
    /// task measures one with a short probe on all ranks first.
    public var gemmSpeed: GemmSpeed?
    /// Where rank 0 writes the run's Chrome trace-event JSON (every rank's timed phases), or nil:
    /// nothing is recorded.
    public var tracePath: String?
    /// The most spans the trace keeps, shared evenly by the ranks (at most ``ChromeTrace/eventLimit``).
    public var traceEventLimit = ChromeTrace.eventLimit

    public init(jobPath: String, outDirectory: String? = nil, format: Format = .table, resume: Bool = false,
                failRank: Int? = nil, failAtStep: Int? = nil, gemmSpeed: GemmSpeed? = nil, tracePath: String? = nil) {
        self.jobPath = jobPath
        self.outDirectory = outDirectory
        self.format = format
        self.resume = resume
        self.failRank = failRank
        self.failAtStep = failAtStep
        self.gemmSpeed = gemmSpeed
        self.tracePath = tracePath
    }
}

/// Exit statuses of `frugal run`, the same on every rank.
public enum RunExitStatus: Int32, Sendable {
    case success = 0
    /// The job ran but a result did not match the single-rank reference.
    case verificationFailed = 1
    /// The job file or options were rejected before any rank computed.
    case badInput = 2
    /// MPI or the system failed mid-job (the job is aborted on every rank).
    case runtimeFailure = 3
}
