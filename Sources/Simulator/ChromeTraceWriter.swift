import Foundation
import Program

/// Writes a simulated step as Chrome trace-event JSON (loadable in Perfetto and chrome://tracing):
/// one process per rank, one thread per stream (compute, communication), one complete ("X")
/// event per op, times in microseconds.
public enum ChromeTraceWriter {
    /// The most op events one trace holds: 2²³, about 800 MB of JSON (DeepSeek-V3's 7.55 M ops
    /// on all 2048 ranks fit). Past it the text would not fit in memory on a laptop, nor open in
    /// a viewer.
    public static let eventLimit = 1 << 23

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
        var out = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n"
        var first = true
        func emit(_ line: String) {
            if !first { out += ",\n" }
            out += line
            first = false
        }
        let total = program.rankStart.count - 1
        for rank in ranks.ranks where rank < total {
            emit("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":\(rank),\"args\":{\"name\":\"rank \(rank)\"}}")
            emit("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":\(rank),\"tid\":0,\"args\":{\"name\":\"compute\"}}")
            emit("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":\(rank),\"tid\":1,\"args\":{\"name\":\"communication\"}}")
            for op in program.rankStart[rank]..<program.rankStart[rank + 1] {
                let kind = OperationKind(rawValue: program.kind[op])!
                let start = timeline.start[op] * 1e6
                let duration = (timeline.finish[op] - timeline.start[op]) * 1e6
                let microBatch = program.microBatch[op]
                let name = microBatch >= 0 ? "\(kind.label) mb\(microBatch)" : kind.label
                emit("{\"ph\":\"X\",\"name\":\"\(name)\",\"cat\":\"\(kind.label)\",\"pid\":\(rank),\"tid\":\(program.stream[op]),"
                     + "\"ts\":\(String(format: "%.3f", start)),\"dur\":\(String(format: "%.3f", duration))}")
            }
        }
        out += "\n]}\n"
        return out
    }
}
