import Foundation
import Reports
import Testing

/// Reading results files from this and other writers: MoE records, unknown record types, the
/// simulator's JSON with keys added or changed.
struct ResultRecordTests {
    @Test func moeAndUnknownRecordsDecodeWithoutProblems() throws {
        let path = ReportFixture.fixtures.appendingPathComponent("moe-results.jsonl").path
        let (records, problems) = try ResultsLog.read(path: path)
        #expect(problems.isEmpty, "\(problems)")
        #expect(records.count == 8)
        let moe = records.compactMap { if case .moe(let record) = $0 { return record } else { return nil } }
        #expect(moe.count == 6)
        #expect(moe.first?.expertLoads == [120, 80, 64, 40, 200, 96, 70, 42])
        #expect(records.last == .unknown(type: "trace"))
    }

    @Test func theSimulatorsJSONDecodesLeniently() throws {
        let decoder = JSONDecoder()
        let full = try decoder.decode(SimulationSummary.self, from: Data(contentsOf: ReportFixture.fixtures.appendingPathComponent("simulate-h800-2048.json")))
        #expect(full.stepSeconds == 19.47 && full.tokensPerSecondPerGpu == 1972.4 && full.fits == true)
        #expect(full.breakdown?["compute"] == 13.1 && full.breakdown?["exposedCommunication.alltoall"] == 2.1)
        #expect(full.breakdown?.keys.sorted() == ["bubble", "compute", "exposedCommunication.alltoall", "exposedCommunication.dpAllreduce",
                                                   "imbalanceWait", "optimizer"])
        #expect(full.gpus == 2048 && full.chip == "H800")
        let extra = try decoder.decode(SimulationSummary.self, from: Data(contentsOf: ReportFixture.fixtures.appendingPathComponent("simulate-h20-2048.json")))
        #expect(extra.costUsd == 10516000.0)
        let nested = try decoder.decode(SimulationSummary.self, from: Data(contentsOf: ReportFixture.fixtures.appendingPathComponent("simulate-nested-breakdown.json")))
        #expect(nested.breakdown == ["compute": 13.1, "exposedCommunication.alltoall": 3.6, "exposedCommunication.pp.send": 0.5])
        #expect(nested.mfu == nil && nested.fits == false)
    }

    @Test func sweepIndexRoundTripsAndNamesBadLines() throws {
        let directory = ReportFixture.temporaryDirectory()
        let folder = SweepFolder(path: directory)
        let point = SweepPoint(id: "run_demo_strong_r4_rep1", mode: .measured, jobFile: "job.toml", scaling: .strong, ranks: 4,
                               repetition: 1, oversubscribed: true)
        try folder.writeIndex([SweepIndexEntry(point: point, status: .pending)])
        var text = try String(contentsOfFile: folder.indexPath, encoding: .utf8)
        #expect(text.contains("\"oversubscribed\":true"))
        text += "not json\n"
        try text.write(toFile: folder.indexPath, atomically: true, encoding: .utf8)
        let (entries, problems) = folder.readIndex()
        #expect(entries.map(\.point) == [point])
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("\(folder.indexPath):2:") == true)
    }
}

@Suite struct SimulationSummaryGoodputTests {
    @Test func goodputAndTotalsWithFailuresReachTheReport() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/simulate-h800-2048.json")
        let summary = try JSONDecoder().decode(SimulationSummary.self, from: Data(contentsOf: url))
        #expect(summary.goodput == 0.9469 && summary.trainDaysWithFailures == 56.6 && summary.costUsdWithFailures == 5_565_624)
        #expect(ReportPoint.numericColumns.contains("goodput") && ReportPoint.numericColumns.contains("gpuHoursWithFailures"))
    }
}
