import Foundation
import Program
import Reports

/// Writes a simulated step as Chrome trace-event JSON (``ChromeTrace``: loadable in Perfetto and
/// chrome://tracing): one process per rank, one thread per stream (compute, communication), one
/// complete ("X") event per op named by its kind's ``OperationKind/label`` and micro-batch.
public enum ChromeTraceWriter {
    /// The most op events one trace holds (``ChromeTrace/eventLimit``).
    public static let eventLimit = ChromeTrace.eventLimit

    /// The op events a trace of `ranks` would hold.
    public static func eventCount(program: RankProgram, ranks: RankRanges) -> Int {
        let total = program.rankStart.count - 1
        return ranks.ranges.reduce(0) { sum, range in
            let low = min(range.lowerBound, total), high = min(range.upperBound + 1, total)
            return sum + (high > low ? program.rankStart[high] - program.rankStart[low] : 0)
        }
    }

    /// The trace text for `ranks` (ranks the program does not have are left out).
    public static func json(program: RankProgram, timeline: EventSimulator, ranks: RankRanges) -> String {
        var trace = ChromeTrace()
        let total = program.rankStart.count - 1
        for rank in ranks.ranks where rank < total {
            trace.addProcess(rank)
            append(program, timeline: timeline, rank: rank, to: &trace)
        }
        return trace.json()
    }

    /// Appends `rank`'s ops of `program` as timed by `timeline`, shifted by `offset` seconds, with `arguments`.
    static func append(_ program: RankProgram, timeline: EventSimulator, rank: Int, offset: Double = 0,
                       arguments: [TraceArgument] = [], to trace: inout ChromeTrace) {
        for op in program.rankStart[rank]..<program.rankStart[rank + 1] {
            guard let kind = OperationKind(rawValue: program.kind[op]) else { continue }
            let microBatch = program.microBatch[op]
            trace.append(TraceEvent(process: rank, thread: kind.stream, name: microBatch >= 0 ? "\(kind.label) mb\(microBatch)" : kind.label,
                                    category: kind.label, start: offset + timeline.start[op],
                                    duration: timeline.finish[op] - timeline.start[op], arguments: arguments))
        }
    }
}
