import Program

/// Runs a ``CostedProgram``: every rank has a compute and a communication stream that each run
/// their ops in issue order; an op starts when its stream is free and its dependencies have
/// finished (a remote dependency plus its transfer delay); a collective starts when its last
/// member arrives and ends for all members together.
///
/// The program is a max-plus system with a fixed order per stream, so it is evaluated with a
/// work list of ranks: a rank advances both streams as far as its dependencies allow and wakes
/// the ranks waiting on what it finished. Cost O(ops + collective members). Time spent idle on
/// the compute stream is attributed to the dependency that held it (see ``StepBreakdown``).
///
/// The evaluation is in named steps: `EventState` (scratch state in raw buffers), its work-list
/// loop (`EventSimulator+Loop.swift`) and the step's totals (`EventSimulator+Summary.swift`).
public struct EventSimulator: Sendable {
    /// Op start times (for collectives: when the collective started).
    public internal(set) var start: [Double]
    /// Op finish times.
    public internal(set) var finish: [Double]
    /// Step time: the last op's finish.
    public internal(set) var stepSeconds = 0.0
    /// Average over ranks.
    public internal(set) var breakdown = StepBreakdown()
    /// Per rank: when its last op finished.
    public internal(set) var rankEndSeconds: [Double] = []

    public init(costed: CostedProgram) throws(SimulationError) {
        let program = costed.program
        var state = EventState(program: program)
        defer { state.deallocate() }
        var start = [Double](repeating: -1, count: program.count)
        var finish = [Double](repeating: -1, count: program.count)
        state.run(costed, start: &start, finish: &finish)
        try state.checkAllRan(program)
        // Collective members' start is the collective's start.
        for op in 0..<program.count where program.collective[op] >= 0 {
            start[op] = state.collectiveStart[Int(program.collective[op])]
        }
        let summary = state.summary(program)
        self.start = start
        self.finish = finish
        stepSeconds = summary.stepSeconds
        breakdown = summary.breakdown
        rankEndSeconds = summary.rankEnd
    }
}
