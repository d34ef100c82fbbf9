import Foundation

/// Reads a results folder and writes the report: `index.html`, `summary.md`, `points.csv` and
/// `points.json`, all rendered in memory first, then put in place together (``ReportFolder``)
/// under the output folder's lock, so a failure leaves the old report whole.
public struct ReportWriter {
    public var inputFolder: String
    public var outputFolder: String
    public var title: String

    public init(inputFolder: String, outputFolder: String, title: String = "Frugal scaling report") {
        self.inputFolder = inputFolder
        self.outputFolder = outputFolder
        self.title = title
    }

    /// What was written and what could not be read.
    public struct Outcome: Sendable {
        public var indexPath: String
        public var points: [ReportPoint]
        public var problems: [String]
    }

    /// Reads, renders, writes. Throws only when the input folder is missing or the output cannot be written.
    public func write(now: Date = Date()) throws -> Outcome {
        let input = try ReportInput(folder: inputFolder)
        return try write(input: input, now: now)
    }

    /// Renders and writes an input already read.
    public func write(input: ReportInput, now: Date = Date()) throws -> Outcome {
        var input = input
        let (points, numberProblems) = ReportPointBuilder.pointsAndProblems(from: input)
        input.problems += numberProblems
        let sections = ReportCharts.sections(points: points, input: input)
        let table = PointsTable(points: points)
        let generatedAt = ISO8601DateFormatter().string(from: now)
        let document = ReportDocument(title: title, sourceFolder: inputFolder, generatedAt: generatedAt, sections: sections,
                                      table: table, problems: input.problems)
        func path(_ name: String) -> String { (outputFolder as NSString).appendingPathComponent(name) }
        let files: [(name: String, data: Data)] = [
            ("points.csv", Data(table.csv.utf8)), ("points.json", try table.json()),
            ("summary.md", Data(document.markdown.utf8)), ("index.html", Data(document.html.utf8)),
        ]
        let lock = try FolderLock.lock(replacing: outputFolder)
        defer { lock.release() }
        try ReportFolder.replace(outputFolder, with: files)
        return Outcome(indexPath: path("index.html"), points: points, problems: input.problems)
    }
}
