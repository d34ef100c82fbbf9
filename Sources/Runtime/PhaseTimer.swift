import MPIKit

/// Wall-clock accounting of one repetition: time in kernels, time in MPI, and the total.
struct PhaseTimer {
    enum Phase { case compute, comm }

    private let start = MPIEnvironment.wallTime
    private(set) var compute = 0.0
    private(set) var comm = 0.0

    /// Seconds since the timer started.
    var elapsed: Double { MPIEnvironment.wallTime - start }

    /// Runs `body`, adding its duration to `phase`.
    mutating func measure<R, E: Error>(_ phase: Phase, _ body: () throws(E) -> R) throws(E) -> R {
        let begin = MPIEnvironment.wallTime
        defer {
            let seconds = MPIEnvironment.wallTime - begin
            switch phase {
            case .compute: compute += seconds
            case .comm: comm += seconds
            }
        }
        return try body()
    }
}
