/// One part of the report page: a heading, what it shows, its figures (inline SVG), and — when
/// some or all of its data is absent — a sentence saying so, so nothing disappears silently.
public struct ReportSection: Sendable {
    public var id: String
    public var title: String
    public var explanation: String
    public var figures: [String]
    /// Sentences shown in the page for data that is absent ("no MoE runs in these results").
    public var absent: [String]

    public init(id: String, title: String, explanation: String, figures: [String] = [], absent: [String] = []) {
        self.id = id
        self.title = title
        self.explanation = explanation
        self.figures = figures
        self.absent = absent
    }
}
