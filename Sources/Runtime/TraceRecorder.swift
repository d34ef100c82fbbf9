import MPIKit
import Reports
import Workload

/// A rank's spans of a traced run (`frugal run --trace`): one per timed phase of each task
/// (``PhaseTimer/measure(_:_:_:)``, a batch task's items), named from the vocabulary the
/// simulated job program uses (``OperationName``), with the task and its repetition or step.
/// Times are seconds since a common start: `MPI_Wtime` right after a barrier of every rank.
///
/// A rank keeps at most its share of ``ChromeTrace/eventLimit`` spans and counts the rest; at the
/// end rank 0 gathers every rank's spans (``gather(on:)``) and writes the trace once. Without
/// `--trace` there is no recorder and nothing is recorded.
final class TraceRecorder {
    /// One recorded phase.
    struct Span: Equatable {
        var name: OperationName
        var stream: TraceStream
        var start: Double
        var duration: Double
        var task: Int
        var repetition: Int
        /// A batch task's item or a train task's micro-batch, else -1.
        var item: Int
    }

    /// `MPI_Wtime` of the common start.
    let origin: Double
    /// The most spans this rank keeps.
    let limit: Int
    private(set) var spans: [Span] = []
    /// Spans past `limit`, not kept.
    private(set) var dropped = 0
    /// The task (its index in the job) and its repetition or step the next spans belong to.
    var task = 0, repetition = 0

    /// Starts the clock on every rank of `world` together (a barrier, then `MPI_Wtime`); each rank
    /// keeps its share of `eventLimit` spans (at least one).
    init(world: Communicator, eventLimit: Int = ChromeTrace.eventLimit) throws(MPIError) {
        limit = max(1, min(eventLimit, ChromeTrace.eventLimit) / max(1, world.size))
        try world.barrier()
        origin = MPIEnvironment.wallTime
    }

    /// Records a span of `name` on `stream` between the `MPI_Wtime` readings `begin` and `end`.
    func record(_ name: OperationName, _ stream: TraceStream, from begin: Double, to end: Double, item: Int = -1) {
        guard spans.count < limit else {
            dropped += 1
            return
        }
        spans.append(Span(name: name, stream: stream, start: begin - origin, duration: max(0, end - begin),
                          task: task, repetition: repetition, item: item))
    }

    /// The doubles a span travels as.
    static let fields = 7
    private static let names = OperationName.allCases

    /// Every rank's spans and drop count on rank 0 (by rank), nil on the others.
    func gather(on world: Communicator) throws(MPIError) -> (spans: [[Span]], dropped: Int)? {
        let flat = spans.flatMap { span -> [Double] in
            [Double(Self.names.firstIndex(of: span.name) ?? 0), Double(span.stream.rawValue), span.start, span.duration,
             Double(span.task), Double(span.repetition), Double(span.item)]
        }
        let counts = try world.gather(array: [flat.count, dropped])
        let sizes = world.isRoot ? counts.map { $0[0] } : Array(repeating: 0, count: world.size)
        var all = [Double](repeating: 0, count: world.isRoot ? sizes.reduce(0, +) : 0)
        try flat.withUnsafeBufferPointer { (send) throws(MPIError) in
            try all.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                try world.gatherv(send, into: world.isRoot ? receive : nil, counts: sizes)
            }
        }
        guard world.isRoot else { return nil }
        var byRank: [[Span]] = []
        var offset = 0
        for size in sizes {
            byRank.append(stride(from: offset, to: offset + size, by: Self.fields).map { Self.span(all[$0..<($0 + Self.fields)]) })
            offset += size
        }
        let dropped: Int = counts.reduce(0) { $0 + $1[1] }
        return (byRank, dropped)
    }

    /// The span `fields` doubles stand for.
    private static func span(_ fields: ArraySlice<Double>) -> Span {
        let values = Array(fields)
        let name: OperationName = names[min(names.count - 1, max(0, Int(values[0])))]
        let stream: TraceStream = TraceStream(rawValue: Int(values[1])) ?? .compute
        return Span(name: name, stream: stream, start: values[2], duration: values[3],
                    task: Int(values[4]), repetition: Int(values[5]), item: Int(values[6]))
    }

    /// The trace of every rank's `spans` (by rank), events named as the simulated job program's
    /// ops (``OperationName``; a train task's chain ops with their micro-batch, `F mb3`, as the
    /// simulator's trace writes them) with the task's name and its repetition (MoE and train
    /// tasks: step; a batch task: item) as arguments.
    static func trace(_ spans: [[Span]], job: Job) -> ChromeTrace {
        var trace = ChromeTrace()
        for (rank, mine) in spans.enumerated() {
            trace.addProcess(rank)
            for span in mine {
                let task = job.tasks.indices.contains(span.task) ? job.tasks[span.task] : nil
                let stepped = task?.kind == .moe || task?.kind == .train, train = task?.kind == .train
                var arguments = [TraceArgument("task", task?.name ?? "?"), TraceArgument("taskIndex", String(span.task)),
                                 TraceArgument(stepped ? "step" : "repetition", String(span.repetition))]
                if span.item >= 0 { arguments.append(TraceArgument(train ? "microBatch" : "item", String(span.item))) }
                let name = train && span.item >= 0 ? "\(span.name.rawValue) mb\(span.item)" : span.name.rawValue
                trace.append(TraceEvent(process: rank, thread: span.stream, name: name, category: span.name.rawValue,
                                        start: span.start, duration: span.duration, arguments: arguments))
            }
        }
        return trace
    }
}
