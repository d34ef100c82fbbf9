/// What a report says — its title, where the results came from, when, the chart sections, the
/// points table and the problems met reading the results — rendered as the HTML page
/// (``html``, in `ReportDocument+HTML.swift`) and as `summary.md` (``markdown``).
public struct ReportDocument: Sendable {
    public var title: String
    public var sourceFolder: String
    public var generatedAt: String
    public var sections: [ReportSection]
    public var table: PointsTable
    public var problems: [String]

    public init(title: String, sourceFolder: String, generatedAt: String, sections: [ReportSection], table: PointsTable, problems: [String]) {
        self.title = title
        self.sourceFolder = sourceFolder
        self.generatedAt = generatedAt
        self.sections = sections
        self.table = table
        self.problems = problems
    }
}
