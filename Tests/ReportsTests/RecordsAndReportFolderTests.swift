import Foundation
import Reports
import Testing

/// Results lines are whole even when the disk fills, non-finite numbers survive the round trip,
/// a report is put in place all or nothing, and batch jobs appear in reports.
struct RecordsAndReportFolderTests {
    /// A write(2) stand-in that accepts `budget` bytes, then fails with ENOSPC.
    final class FillingDisk: @unchecked Sendable {
        var budget: Int
        init(budget: Int) { self.budget = budget }
        func write(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
            guard budget > 0 else { errno = ENOSPC; return -1 }
            let written = Glibc.write(descriptor, bytes, min(count, budget))
            if written > 0 { budget -= written }
            return written
        }
    }

    @Test func aFailedWriteCutsTheFileBackToItsLastWholeLine() throws {
        let directory = ReportFixture.temporaryDirectory()
        let records = ReportFixture.tasks(ranks: 2).map(ResultRecord.task)
        let disk = FillingDisk(budget: .max)
        let log = try ResultsLog(directory: directory, first: .job(ReportFixture.job(ranks: 2)), write: disk.write)
        try log.append(records[0])
        let before = try Data(contentsOf: URL(fileURLWithPath: log.path))
        disk.budget = 100   // part of the next line fits, then the disk is full
        #expect(throws: ResultsFolderError.self) { try log.append(records[1]) }
        do {
            try log.append(records[1])
        } catch {
            #expect("\(error)" == "cannot write \(log.path): No space left on device (errno 28)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: log.path)) == before)
        disk.budget = .max   // space again: the next line starts at a line boundary
        try log.append(records[1])
        let read = try ResultsLog.read(path: log.path)
        #expect(read.problems.isEmpty && read.records.count == 3)
    }

    @Test func nonFiniteNumbersAreWrittenAsNamedValuesAndReadBack() throws {
        let directory = ReportFixture.temporaryDirectory()
        var record = ReportFixture.tasks(ranks: 1)[0]
        record.maxAbsError = .infinity
        record.maxRelError = .nan
        let log = try ResultsLog(directory: directory, first: .job(ReportFixture.job(ranks: 1)))
        try log.append(.task(record))
        let text = try String(contentsOfFile: log.path, encoding: .utf8)
        #expect(text.contains("\"maxAbsError\":\"inf\"") && text.contains("\"maxRelError\":\"nan\""))
        let read = try ResultsLog.read(path: log.path)
        guard case .task(let back)? = read.records.last else { Issue.record("no task record"); return }
        #expect(back.maxAbsError == .infinity && back.maxRelError.isNaN)
    }

    @Test func anOverflowingRecordNeitherBreaksNorHalfWritesTheReport() throws {
        // An old report in place, then one whose totals overflow: flops = 1e308 on two ranks.
        let out = ReportFixture.temporaryDirectory() + "/report"
        let good = ReportFixture.temporaryDirectory()
        try ResultsLog(directory: good, first: .job(ReportFixture.job(ranks: 2))).append(ReportFixture.tasks(ranks: 2).map(ResultRecord.task))
        _ = try ReportWriter(inputFolder: good, outputFolder: out).write()

        let huge = ReportFixture.temporaryDirectory()
        var tasks = ReportFixture.tasks(ranks: 2)
        for index in tasks.indices { tasks[index].flops = 1e308 }
        try ResultsLog(directory: huge, first: .job(ReportFixture.job(ranks: 2))).append(tasks.map(ResultRecord.task))
        let outcome = try ReportWriter(inputFolder: huge, outputFolder: out).write()
        #expect(outcome.problems.contains { $0.contains("throughput is not a finite number (inf)") }, "\(outcome.problems)")
        let json = try String(contentsOfFile: out + "/points.json", encoding: .utf8)
        let csv = try String(contentsOfFile: out + "/points.csv", encoding: .utf8)
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(!json.contains("inf") && !csv.lowercased().contains("inf"))
        #expect(html.contains("not a finite number"))
        // Nothing but the report's four files, no temporary folder left beside it.
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == ReportFolder.reportFiles)
        let parent = (out as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).filter { $0.contains(".partial") }.isEmpty)
    }

    @Test func aReportNeverReplacesAFolderHoldingOtherFiles() throws {
        let results = ReportFixture.temporaryDirectory()
        try ResultsLog(directory: results, first: .job(ReportFixture.job(ranks: 2))).append(ReportFixture.tasks(ranks: 2).map(ResultRecord.task))
        #expect(throws: ResultsFolderError.foreignFiles(results, names: ["results.jsonl"])) {
            try ReportWriter(inputFolder: results, outputFolder: results).write()
        }
        #expect(FileManager.default.fileExists(atPath: results + "/results.jsonl"))
        #expect(!FileManager.default.fileExists(atPath: results + "/index.html"))
    }

    @Test func aBatchOnlyRunIsReported() throws {
        let input = ReportFixture.temporaryDirectory()
        let log = try ResultsLog(directory: input, first: .job(ReportFixture.job(ranks: 2)))
        for (index, policy) in ["static", "lpt"].enumerated() {
            for rank in 0..<2 {
                try log.append(.batch(BatchRecord(job: "batch", task: policy, taskIndex: index, rank: rank, ranks: 2, host: "vm",
                                                  policy: policy, items: 8, itemsDone: 4, busySeconds: 0.5 + Double(rank) * 0.1,
                                                  idleSeconds: 0.1, makespanSeconds: 0.7, lowerBoundSeconds: 0.6,
                                                  efficiency: 0.6 / 0.7, flops: 1e9, gflops: 2, verified: true)))
            }
        }
        let out = ReportFixture.temporaryDirectory() + "/report"
        let outcome = try ReportWriter(inputFolder: input, outputFolder: out).write()
        #expect(outcome.points.count == 1)
        #expect(outcome.points.first?.throughputUnit == "GFLOP/s" && outcome.points.first?.series.contains("(batch)") == true)
        let html = try String(contentsOfFile: outcome.indexPath, encoding: .utf8)
        #expect(!html.contains("no measured runs in these results"))
        #expect(html.contains("id=\"batch-efficiency\"") && html.contains("static (static) r=2") && html.contains("lpt (lpt) r=2"))
    }
}
