import MPIKit
import Reports

/// Wall-clock accounting of one repetition: time in kernels, time in MPI, and the total; with a
/// ``TraceRecorder`` (`frugal run --trace`) every measured phase is also a span of the trace.
struct PhaseTimer {
    enum Phase {
        case compute, comm

        /// The trace thread of the phase.
        var stream: TraceStream { self == .compute ? .compute : .communication }
    }

    private let start = MPIEnvironment.wallTime
    private(set) var compute = 0.0
    private(set) var comm = 0.0
    /// Where spans go; nil: none are recorded.
    let trace: TraceRecorder?

    init(trace: TraceRecorder? = nil) { self.trace = trace }

    /// Seconds since the timer started.
    var elapsed: Double { MPIEnvironment.wallTime - start }

    /// Runs `body`, adding its duration to `phase`; traced as a span named `name` (the simulated
    /// job program's op it stands for).
    mutating func measure<R, E: Error>(_ phase: Phase, _ name: OperationName, _ body: () throws(E) -> R) throws(E) -> R {
        let begin = MPIEnvironment.wallTime
        defer {
            let end = MPIEnvironment.wallTime
            switch phase {
            case .compute: compute += end - begin
            case .comm: comm += end - begin
            }
            trace?.record(name, phase.stream, from: begin, to: end)
        }
        return try body()
    }
}
