import Foundation
import Reports

/// The results-folder targets: a sweep's `sweep.jsonl` index and a run's `results.jsonl`, each
/// read the way `frugal report` reads them and rendered into a report.
extension FuzzTarget {
    static let sweep = FuzzTarget(
        name: "sweep", fileName: "sweep.jsonl", seedPaths: [], inlineSeeds: [],
        dictionary: ["point", "status", "done", "failed", "pending", "measured", "simulated", "strong", "weak", "id", "mode"]
    ) { path, _ in
        let folder = (path as NSString).deletingLastPathComponent
        _ = SweepFolder(path: folder).readIndex()
        try writeReport(folder: folder)
    }

    static let results = FuzzTarget(
        name: "results", fileName: "results.jsonl", seedPaths: ["Tests/ReportsTests/Fixtures/moe-results.jsonl"], inlineSeeds: [],
        dictionary: ["job", "task", "moe", "batch", "type", "ranks", "rank", "step", "gflops", "wallSeconds"]
    ) { path, _ in
        _ = try ResultsLog.read(path: path)
        try writeReport(folder: (path as NSString).deletingLastPathComponent)
    }

    /// What `frugal report FOLDER` renders, in memory (writing the four files would take most of the time).
    static func writeReport(folder: String) throws {
        let input = try ReportInput(folder: folder)
        let points = ReportPointBuilder.points(from: input)
        let table = PointsTable(points: points)
        let document = ReportDocument(title: "fuzz", sourceFolder: folder, generatedAt: "1970-01-01T00:00:00Z",
                                      sections: ReportCharts.sections(points: points, input: input), table: table, problems: input.problems)
        _ = (table.csv, try table.json(), document.markdown, document.html)
    }
}
