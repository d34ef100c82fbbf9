import Foundation
import Reports
import Testing

/// The one Chrome trace-event writer: its text parses as JSON and says what was appended.
struct ChromeTraceTests {
    func parsed(_ trace: ChromeTrace) throws -> [[String: Any]] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(trace.json().utf8)) as? [String: Any])
        return try #require(document["traceEvents"] as? [[String: Any]])
    }

    @Test func anEmptyTraceIsAnEmptyEventList() throws {
        let trace = ChromeTrace()
        #expect(try parsed(trace).isEmpty)
        #expect(trace.eventCount == 0)
    }

    @Test func namesAreEscaped() throws {
        let hostile = "a \"quoted\" back\\slash\nnew\tline \u{1} bell \u{7f} é 🚀 </script>"
        var trace = ChromeTrace()
        trace.addProcess(3, name: hostile)
        trace.append(TraceEvent(process: 3, thread: .communication, name: hostile, category: hostile, start: 0, duration: 0,
                                arguments: [TraceArgument(hostile, hostile)]))
        let events = try parsed(trace)
        #expect(events.count == 4)
        let process = events[0]["args"] as? [String: Any]
        #expect(process?["name"] as? String == hostile)
        let event = events[3]
        #expect(event["name"] as? String == hostile && event["cat"] as? String == hostile)
        #expect((event["args"] as? [String: Any])?[hostile] as? String == hostile)
        #expect(event["tid"] as? Int == 1 && event["pid"] as? Int == 3)
    }

    @Test func aProcessHasAThreadPerStream() throws {
        var trace = ChromeTrace()
        trace.addProcess(0)
        let events = try parsed(trace)
        #expect(events.map { ($0["args"] as? [String: Any])?["name"] as? String } == ["rank 0", "compute", "communication"])
        #expect(events.map { $0["tid"] as? Int } == [nil, 0, 1])
    }

    @Test func timesAreMicrosecondsAndEventsThatFollowDoNotOverlap() throws {
        var trace = ChromeTrace()
        // 0.1 + 0.2 is not 0.3 in binary; the text still has the second event start where the first ends.
        trace.append(TraceEvent(process: 0, thread: .compute, name: "F", category: "F", start: 0.1, duration: 0.2))
        trace.append(TraceEvent(process: 0, thread: .compute, name: "F", category: "F", start: 0.3, duration: 1.5e-9))
        trace.append(TraceEvent(process: 0, thread: .compute, name: "B", category: "B", start: -1, duration: .nan))
        #expect(trace.json().contains("\"ts\":100000.000,\"dur\":200000.000"))
        #expect(trace.json().contains("\"ts\":300000.000,\"dur\":0.002"))
        let events = try parsed(trace)
        #expect(events[2]["ts"] as? Double == 0 && events[2]["dur"] as? Double == 0)
        #expect(trace.eventCount == 3)
    }

    @Test func theOperationVocabularyHasOneNameEach() {
        let names = OperationName.allCases.map(\.rawValue)
        #expect(Set(names).count == names.count)
        #expect(OperationName.forward.rawValue == "F" && OperationName.dispatchBackward.rawValue == "dispatch-bwd")
    }
}
