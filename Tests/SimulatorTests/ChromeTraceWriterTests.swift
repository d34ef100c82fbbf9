import Foundation
import Simulator
import Testing
import Workload

@Suite struct ChromeTraceWriterTests {
    @Test func traceIsValidJSONWithATrackPerRankAndStream() throws {
        let cluster = try Fixtures.singleNode(gpus: 8)
        let run = try TrainingSimulator(model: ExpertLoadTests.model, setup: ExpertLoadTests().setup(load: .uniform), cluster: cluster)
            .run(keepTimeline: true)
        let program = try #require(run.program), timeline = try #require(run.timeline)
        let text = ChromeTraceWriter.json(program: program, timeline: timeline, ranks: try RankRanges(parsing: "0-1,5", flag: "--trace-ranks", rankCount: 8))
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        let events = try #require(object?["traceEvents"] as? [[String: Any]])
        let complete = events.filter { $0["ph"] as? String == "X" }
        #expect(Set(complete.compactMap { $0["pid"] as? Int }) == [0, 1, 5])
        #expect(Set(complete.compactMap { $0["tid"] as? Int }) == [0, 1])
        #expect(complete.allSatisfy { ($0["dur"] as? Double ?? -1) >= 0 })
        // The event count `simulate` checks against ChromeTraceWriter.eventLimit before writing.
        let counted = ChromeTraceWriter.eventCount(program: program, ranks: try RankRanges(parsing: "0-1,5", flag: "--trace-ranks", rankCount: 8))
        #expect(counted == complete.count)
        #expect(ChromeTraceWriter.eventCount(program: program, ranks: RankRanges.first(8, of: 8)) == program.count)
    }
}
