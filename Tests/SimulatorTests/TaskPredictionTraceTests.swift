import Foundation
import Simulator
import Testing
import Workload

/// The simulated twin of a measured run's trace (`frugal simulate --job … --trace`).
@Suite struct TaskPredictionTraceTests {
    /// 3 repetitions of a row-sharded GEMM, then a batch task, on 2 ranks: every op of every
    /// repetition, its GEMM the predicted compute, repetitions one after another and no overlap on a thread.
    @Test func everyRepetitionIsThePredictedProgramInTurn() throws {
        let cluster = try Fixtures.cluster("h800-2048")
        let gemm = GemmTask(name: "rows", m: 256, n: 128, k: 64, repetitions: 3, sharding: .rows)
        let batch = BatchTask(name: "b", shapes: [GemmShape(m: 64, n: 64, k: 64), GemmShape(m: 32, n: 32, k: 32)], policy: .dynamic)
        let job = Job(name: "j", seed: 1, tasks: [.gemm(gemm), .batch(batch)])
        let ranks = RankRanges.first(2, of: 2)
        let twin = try TaskPrediction.trace(job: job, ranks: 2, cluster: cluster, traced: ranks)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(twin.trace.json().utf8)) as? [String: Any])
        let events = try #require(document["traceEvents"] as? [[String: Any]]).filter { $0["ph"] as? String == "X" }
        #expect(events.count == TaskPrediction.traceEventCount(job: job, ranks: 2, traced: ranks))
        #expect(events.count == 2 * (3 * 3 + 1), "per rank: all-gather, GEMM, gather per repetition; one pool")
        let predictions = TaskPrediction.predict(job: job, ranks: 2, cluster: cluster)
        for rank in 0..<2 {
            let mine = events.filter { $0["pid"] as? Int == rank }
            // Each repetition is the same timed program, after the previous one: its GEMM the predicted compute.
            func spans(_ repetition: Int) -> [(name: String, ts: Double, dur: Double)] {
                mine.filter { ($0["args"] as? [String: String])?["repetition"] == String(repetition)
                    && ($0["args"] as? [String: String])?["task"] == "rows" }
                    .map { ($0["name"] as? String ?? "", $0["ts"] as? Double ?? -1, $0["dur"] as? Double ?? -1) }
            }
            let first = spans(0)
            #expect(first.map(\.name) == ["collective", "F", "collective"])
            #expect(abs(first[1].dur / 1e6 - predictions[0].computeSeconds[rank]) <= 1e-9)
            for repetition in 1..<3 {
                let later = spans(repetition), previousEnd = spans(repetition - 1).map { $0.ts + $0.dur }.max() ?? 0
                #expect(later.map(\.name) == first.map(\.name))
                #expect(zip(later, first).allSatisfy { abs($0.dur - $1.dur) <= 0.0011 })
                #expect((later.map(\.ts).min() ?? 0) >= previousEnd - 0.0011)
            }
            let pool = try #require(mine.first { $0["name"] as? String == "pool" })
            #expect(abs((pool["dur"] as? Double ?? 0) / 1e6 - predictions[1].computeSeconds[rank]) <= 1e-8)
            for thread in 0..<2 {
                let spans = mine.filter { $0["tid"] as? Int == thread }.map { ($0["ts"] as? Double ?? -1, $0["dur"] as? Double ?? -1) }
                #expect(spans.allSatisfy { $0.0 >= 0 && $0.1 >= 0 })
                for (earlier, later) in zip(spans, spans.dropFirst()) { #expect(later.0 >= earlier.0 + earlier.1 - 0.0011) }
            }
        }
        #expect(Set(events.compactMap { $0["name"] as? String }) == ["collective", "F", "pool"])
    }
}
