import Hardware
import Planner
import Program
import Reports
import Workload

extension TaskPrediction {
    /// The simulated twin of a measured `frugal run` trace (`frugal run JOB --trace`): every task
    /// of `job` in order, as many times as the run repeats it (a GEMM task's repetitions, a MoE
    /// task's steps, a batch task once), each repetition its program (``JobLowering``) costed as
    /// ``predict(job:ranks:cluster:)`` costs it and timed by ``EventSimulator``; each repetition
    /// starts when the previous one has finished on every rank (the run's barrier). A MoE step is
    /// lowered from its planned dispatch (the first ``moeSteps``, then again from the first).
    /// Events carry the task and its repetition or step as arguments, as the measured ones do.
    public struct Trace {
        public var trace = ChromeTrace()
        /// Seconds from the first task's start to the last one's end.
        public var seconds = 0.0
    }

    /// The op events ``trace(job:ranks:cluster:traced:)`` would write.
    public static func traceEventCount(job: Job, ranks: Int, traced: RankRanges) -> Int {
        let lowering = JobLowering(ranks: ranks)
        // The ops of the ranks up to the last traced one are all the count needs.
        let window = 0..<min(lowering.ranks, (traced.ranges.map(\.upperBound).max() ?? 0) + 1)
        var total = 0
        for task in job.tasks {
            let program = lowering.lower(task, ranks: window)
            let (count, overflow) = ChromeTraceWriter.eventCount(program: program, ranks: traced)
                .multipliedReportingOverflow(by: repetitions(of: task))
            total = overflow ? Int.max : total.addingReportingOverflow(count).overflow ? Int.max : total + count
        }
        return total
    }

    /// The trace of `job` on `ranks` ranks of `cluster`, for the ranks of `traced`.
    public static func trace(job: Job, ranks: Int, cluster: ClusterSpec, traced: RankRanges) throws(SimulationError) -> Trace {
        let lowering = JobLowering(ranks: ranks)
        let costs = job.cluster.map { OpCostModel(jobOn: cluster, emulating: $0, ranks: lowering.ranks) } ?? OpCostModel(jobOn: cluster)
        let slowdown = (0..<lowering.ranks).map { job.cluster?.slowdown(of: $0) ?? 1 }
        var result = Trace()
        for rank in traced.ranks where rank < lowering.ranks { result.trace.addProcess(rank) }
        for (index, task) in job.tasks.enumerated() {
            let timelines = try repetitionTimelines(task, lowering: lowering, costs: costs, slowdown: slowdown)
            for repetition in 0..<repetitions(of: task) {
                let (program, timeline) = timelines[repetition % timelines.count]
                let arguments = [TraceArgument("task", task.name), TraceArgument("taskIndex", String(index)),
                                 TraceArgument(task.kind == .moe ? "step" : "repetition", String(repetition))]
                for rank in traced.ranks where rank < lowering.ranks {
                    ChromeTraceWriter.append(program, timeline: timeline, rank: rank, offset: result.seconds, arguments: arguments,
                                             to: &result.trace)
                }
                result.seconds += timeline.stepSeconds
            }
        }
        return result
    }

    /// How many times the run does `task`.
    static func repetitions(of task: JobTask) -> Int {
        switch task {
        case .gemm(let gemm): return max(1, gemm.repetitions)
        case .moe(let moe): return max(1, moe.steps)
        case .train(let train): return max(1, train.steps)
        case .batch: return 1
        }
    }

    /// The distinct timed programs of `task`'s repetitions: one (a MoE task: one per planned step, at most ``moeSteps``).
    static func repetitionTimelines(_ task: JobTask, lowering: JobLowering, costs: OpCostModel,
                                    slowdown: [Double]) throws(SimulationError) -> [(RankProgram, EventSimulator)] {
        var dispatches: [MoEStepDispatch?] = [nil]
        if case .moe(let moe) = task, var planner = try? MoEDispatchPlanner(task: moe, ranks: lowering.ranks) {
            dispatches = []
            for _ in 0..<min(repetitions(of: task), moeSteps) {
                guard let step = try? planner.next() else { break }
                dispatches.append(step)
            }
            if dispatches.isEmpty { dispatches = [nil] }
        }
        var timelines: [(RankProgram, EventSimulator)] = []
        for dispatch in dispatches {
            let program = lowering.lower(task, ranks: 0..<lowering.ranks, dispatch: dispatch)
            var costed = costs.cost(program, slowdown: slowdown)
            // A pool's items are shared out: it takes what the best schedule reaches, as predicted.
            for op in 0..<program.count where program.kind[op] == OperationKind.pool.rawValue && program.segment[op] >= 0 {
                let items = program.work.items(of: program.segment[op]).map { costs.seconds($0, routes: program.routes) }
                costed.duration[op] = BatchSchedule.lowerBound(itemSeconds: items, ranks: lowering.ranks)
            }
            timelines.append((program, try EventSimulator(costed: costed)))
        }
        return timelines
    }
}
