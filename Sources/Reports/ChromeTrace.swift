import Foundation

/// The name of an op in traces, the one vocabulary of the simulated step (its program's op kinds)
/// and the measured run (the runtime's timed phases): a measured span and the simulated op it
/// stands for carry the same name, so the two traces read side by side.
public enum OperationName: String, Sendable, CaseIterable {
    case forward = "F", backward = "B", weight = "W", optimizer
    case dispatch, combine
    case dispatchBackward = "dispatch-bwd", combineBackward = "combine-bwd"
    case gradientSync = "grad-sync", parameterGather = "param-gather"
    /// A job task's MPI collective or message (all-gather, broadcast, gather, send).
    case collective
    /// A job's pool of independent items the ranks share out at run time (a batch task).
    case pool
}

/// A stream of a rank: one thread of its trace process.
public enum TraceStream: Int, Sendable, CaseIterable {
    case compute = 0
    case communication = 1

    /// The thread's name in the trace.
    public var name: String {
        switch self {
        case .compute: return "compute"
        case .communication: return "communication"
        }
    }
}

/// One key and value shown with a trace event (Perfetto's "args").
public struct TraceArgument: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// One op of a trace: on rank `process`, stream `thread`, from `start` for `duration` seconds.
public struct TraceEvent: Sendable, Equatable {
    public var process: Int
    public var thread: TraceStream
    public var name: String
    public var category: String
    /// Seconds since the trace's common start.
    public var start: Double
    public var duration: Double
    public var arguments: [TraceArgument]

    public init(process: Int, thread: TraceStream, name: String, category: String, start: Double, duration: Double,
                arguments: [TraceArgument] = []) {
        self.process = process
        self.thread = thread
        self.name = name
        self.category = category
        self.start = start
        self.duration = duration
        self.arguments = arguments
    }
}

/// Chrome trace-event JSON (loadable in https://ui.perfetto.dev and chrome://tracing), written as
/// the events come: one process per rank (named `rank N`), one thread per ``TraceStream``, one
/// complete ("X") event per op, times in microseconds with nanosecond digits. An event's end is
/// rounded as its start is, so events that follow each other in seconds do not overlap in the text.
///
/// Built by hand rather than with `JSONSerialization`: the simulator writes up to ``eventLimit``
/// events, and for 2²⁰ events this writer took 2.0 s where `JSONSerialization` of the same events
/// took 34 s (debug build, this machine, December 2026) — and it needs no dictionary per event.
public struct ChromeTrace: Sendable {
    /// The most op events one trace holds: 2²³, about 800 MB of JSON (DeepSeek-V3's 7.55 M ops on
    /// all 2048 ranks fit). Past it the text would not fit in memory on a laptop, nor open in a viewer.
    public static let eventLimit = 1 << 23

    private var text = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n"
    private var isEmpty = true
    /// The op events appended so far.
    public private(set) var eventCount = 0

    public init() {}

    /// Names `process` `rank N` (or `name`) and its threads after the streams.
    public mutating func addProcess(_ process: Int, name: String? = nil) {
        emit("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":\(process),\"args\":{\"name\":\"\(Self.escaped(name ?? "rank \(process)"))\"}}")
        for stream in TraceStream.allCases {
            emit("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":\(process),\"tid\":\(stream.rawValue),\"args\":{\"name\":\"\(stream.name)\"}}")
        }
    }

    /// Appends one complete event.
    public mutating func append(_ event: TraceEvent) {
        let start = Self.nanoseconds(event.start), end = Self.nanoseconds(event.start + max(0, event.duration))
        var line = "{\"ph\":\"X\",\"name\":\"\(Self.escaped(event.name))\",\"cat\":\"\(Self.escaped(event.category))\","
        line += "\"pid\":\(event.process),\"tid\":\(event.thread.rawValue),"
        line += "\"ts\":\(Self.microseconds(start)),\"dur\":\(Self.microseconds(max(0, end - start)))"
        if !event.arguments.isEmpty {
            line += ",\"args\":{"
            line += event.arguments.map { "\"\(Self.escaped($0.key))\":\"\(Self.escaped($0.value))\"" }.joined(separator: ",")
            line += "}"
        }
        line += "}"
        emit(line)
        eventCount += 1
    }

    /// The whole JSON document (closed in place: a trace of millions of events is not copied).
    public consuming func json() -> String {
        text += (isEmpty ? "" : "\n") + "]}\n"
        return text
    }

    /// Writes the document to `path` atomically (a temporary file renamed into place).
    public consuming func write(to path: String) throws {
        try AtomicFile.write(json(), to: path)
    }

    private mutating func emit(_ line: String) {
        if !isEmpty { text += ",\n" }
        text += line
        isEmpty = false
    }

    /// `seconds` as whole nanoseconds (non-finite or negative: 0; clamped to ~292 years).
    static func nanoseconds(_ seconds: Double) -> Int64 {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int64(min((seconds * 1e9).rounded(), 9e18))
    }

    /// Nanoseconds as microseconds with three decimals (`1234567` → `1234.567`).
    static func microseconds(_ nanoseconds: Int64) -> String {
        let whole = nanoseconds / 1000, fraction = Int(nanoseconds % 1000)
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: 3 - digits.count) + digits
    }

    /// `text` as the inside of a JSON string: quote, backslash and control characters escaped.
    public static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
