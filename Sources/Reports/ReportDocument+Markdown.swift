extension ReportDocument {
    /// `summary.md`: the headline numbers, what is absent, the problems, and the full points table.
    public var markdown: String {
        var text = "# \(title)\n\nFrom `\(sourceFolder)`, generated \(generatedAt). Charts: `index.html`; data: `points.csv`, `points.json`.\n\n"
        let points = table.points
        for mode in SweepPoint.Mode.allCases {
            for group in ReportCharts.grouped(points.filter { $0.mode == mode && $0.throughput != nil }) {
                let cells = group.rows.map { row in
                    "\(row.workers.map(String.init) ?? "?") \(mode == .measured ? "ranks" : "chips"): \(ReportNumber.text(row.throughput)) \(row.throughputUnit)"
                        + (row.efficiency.map { " (efficiency \(ReportNumber.text($0 * 100)) %)" } ?? "")
                        + (row.oversubscribed ? " [oversubscribed]" : "")
                }
                text += "- **\(group.name)** (\(mode.rawValue)): " + cells.joined(separator: "; ") + "\n"
            }
        }
        // Several sections can miss the same point (e.g. one that does not fit): say it once.
        var seen = Set<String>()
        let absent = sections.flatMap(\.absent).filter { seen.insert($0).inserted }
        if !absent.isEmpty { text += "\nAbsent from these results:\n\n" + absent.map { "- \($0)\n" }.joined() }
        if !problems.isEmpty { text += "\nProblems reading the results (the rest is reported):\n\n" + problems.map { "- `\($0)`\n" }.joined() }
        text += "\n## Points\n\n" + (points.isEmpty ? "no points in these results\n" : table.markdown)
        return text
    }
}
