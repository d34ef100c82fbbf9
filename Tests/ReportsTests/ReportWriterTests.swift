import Foundation
import Reports
import Testing

/// The report end to end from a fixture sweep folder: charts parse as XML and carry their
/// series and axis titles, the table formats agree, corrupt lines are named and skipped,
/// absent data is said, not dropped.
struct ReportWriterTests {
    func writeReport(moe: Bool = true, simulated: Bool = true, predictions: Bool = true,
                     corrupt: ((SweepFolder) throws -> Void)? = nil) throws -> (outcome: ReportWriter.Outcome, html: String, out: String) {
        let input = ReportFixture.temporaryDirectory()
        let folder = try ReportFixture.write(to: input, moe: moe, simulated: simulated, predictions: predictions)
        try corrupt?(folder)
        let out = ReportFixture.temporaryDirectory() + "/report"
        let outcome = try ReportWriter(inputFolder: input, outputFolder: out).write()
        let html = try String(contentsOfFile: outcome.indexPath, encoding: .utf8)
        return (outcome, html, out)
    }

    @Test func everyChartIsWellFormedSVGWithItsSeriesAndAxes() throws {
        let (_, html, _) = try writeReport()
        let svgs = SVGInspector.svgElements(in: html)
        // Throughput ×3 (GFLOP/s, MoE tokens/s, simulated), efficiency ×2, breakdown ×2, scatter, cost ×4
        // (GPU-hours and dollars, with and without failures), heatmap.
        #expect(svgs.count == 13)
        var texts: [String] = [], series: [String] = []
        for svg in svgs {
            let (inspector, error) = SVGInspector.inspect(svg)
            #expect(error == nil, "not well-formed: \(error ?? "")\n\(svg.prefix(300))")
            texts += inspector?.texts ?? []
            series += inspector?.seriesNames ?? []
        }
        for title in ["throughput (GFLOP/s) — log scale", "MPI ranks (count) — log scale", "chips (count) — log scale",
                      "throughput (tokens/s) — log scale", "parallel efficiency (%)", "time (seconds)",
                      "measured time (seconds) — log scale", "predicted time (seconds) — log scale", "GPU time (GPU-hours)",
                      "cost (US dollars)", "chip type", "expert", "step"] {
            #expect(texts.contains(title), "missing axis title '\(title)'")
        }
        for name in ["demo — strong scaling", "ideal: demo — strong scaling", "H800 pp=16,ep=64", "ideal: H800 pp=16,ep=64",
                     "ideal (100 %)", "gemm", "alltoallv", "y = x"] {
            #expect(series.contains(name), "missing series '\(name)'")
        }
        // Legends name the breakdown parts and the cost variants.
        for entry in ["compute", "communication", "other", "exposedCommunication.alltoall", "bubble", "imbalanceWait", "2048 chips, pp=16,ep=64,dp=128"] {
            #expect(texts.contains(entry), "missing legend entry '\(entry)'")
        }
        #expect(texts.contains("hollow markers: oversubscribed (more ranks than cores)"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") || !html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))
        #expect(!html.contains("https://"))
    }

    @Test func csvJSONAndHTMLCarryIdenticalNumbers() throws {
        let (outcome, html, out) = try writeReport()
        let csv = try String(contentsOfFile: out + "/points.csv", encoding: .utf8)
        let rows = CSV.parse(csv)
        let header = rows[0]
        let csvRows = Array(rows.dropFirst())
        struct Document: Decodable { var points: [ReportPoint] }
        let json = try JSONDecoder().decode(Document.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/points.json"))).points
        let htmlRows = HTMLTable.rows(html, id: "points")
        #expect(htmlRows.first == header)
        #expect(csvRows.count == json.count && json.count == htmlRows.count - 1 && json.count == outcome.points.count)
        #expect(json.count == 7)  // demo ×3, MoE ×1, simulated ×3
        var compared = 0
        for (index, point) in json.enumerated() {
            for column in header where ReportPoint.numericColumns.contains(column) || column.hasPrefix("breakdown.") {
                let columnIndex = header.firstIndex(of: column)!
                let csvText = csvRows[index][columnIndex], htmlText = htmlRows[index + 1][columnIndex]
                #expect(csvText == htmlText, "\(point.id) \(column): CSV \(csvText) vs HTML \(htmlText)")
                #expect(Double(csvText) == point.number(column), "\(point.id) \(column): CSV \(csvText) vs JSON \(String(describing: point.number(column)))")
                if !csvText.isEmpty { compared += 1 }
            }
            #expect(csvRows[index][header.firstIndex(of: "id")!] == point.id)
        }
        #expect(compared > 40)
        // Oversubscription is carried by every table.
        let oversubscribed = json.filter(\.oversubscribed).map(\.id)
        #expect(oversubscribed == ["demo_strong_r4"])
        let summary = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
        #expect(summary.contains("[oversubscribed]"))
        // Efficiency: throughput per rank against one rank.
        let r1 = json.first { $0.id == "demo_strong_r1" }!, r2 = json.first { $0.id == "demo_strong_r2" }!
        #expect(abs(r2.efficiency! - (r2.throughput! / 2) / r1.throughput!) < 1e-4)
        #expect(r1.efficiency == 1)
    }

    @Test func aCorruptLineIsNamedAndTheRestIsPlotted() throws {
        var corruptPath = ""
        let (outcome, html, out) = try writeReport(corrupt: { folder in
            corruptPath = folder.resultsPath("run_demo_strong_r2_rep1")
            var text = try String(contentsOfFile: corruptPath, encoding: .utf8)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines[2] = "{\"type\":\"task\",\"job\":\"demo\", this is not json"
            text = lines.joined(separator: "\n")
            try text.write(toFile: corruptPath, atomically: true, encoding: .utf8)
        })
        #expect(outcome.problems.count == 1)
        #expect(outcome.problems.first?.hasPrefix("\(corruptPath):3: ") == true, "\(outcome.problems)")
        #expect(html.contains("\(corruptPath):3:"))
        #expect(html.contains("1 problem reading the results"))
        let summary = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
        #expect(summary.contains("\(corruptPath):3:"))
        // Every point is still there, the damaged one from its remaining records.
        #expect(outcome.points.map(\.id).contains("demo_strong_r2"))
        #expect(outcome.points.count == 7)
        #expect(SVGInspector.svgElements(in: html).count == 13)
    }

    @Test func absentDataIsSaidNotDropped() throws {
        let (_, html, out) = try writeReport(moe: false, simulated: false, predictions: false)
        for sentence in ["no MoE runs in these results", "no simulated points in these results",
                         "no predictions in these results (predictions.jsonl, written by calibration)",
                         "no simulated points with GPU-hours or cost in these results",
                         "no simulated step-time breakdowns in these results"] {
            #expect(html.contains("<p class=\"absent\">\(sentence)</p>"), "missing: \(sentence)")
        }
        for id in ["throughput", "efficiency", "breakdown", "predicted-vs-measured", "cost", "expert-load"] {
            #expect(html.contains("<section id=\"\(id)\">"))
        }
        let summary = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
        #expect(summary.contains("no MoE runs in these results"))
    }

    @Test func summaryNamesEachAbsentPointOnce() {
        let missing = "A800 ×2048: does not fit in GPU memory"
        let document = ReportDocument(title: "t", sourceFolder: "f", generatedAt: "now",
                                      sections: [ReportSection(id: "a", title: "A", explanation: "", absent: [missing, "only in A"]),
                                                 ReportSection(id: "b", title: "B", explanation: "", absent: [missing])],
                                      table: PointsTable(points: []), problems: [])
        let lines = document.markdown.split(separator: "\n")
        #expect(lines.filter { $0 == "- \(missing)" }.count == 1)
        #expect(lines.contains("- only in A"))
    }

    @Test func anEmptyFolderStillGivesAPage() throws {
        let input = ReportFixture.temporaryDirectory()
        let out = ReportFixture.temporaryDirectory()
        let outcome = try ReportWriter(inputFolder: input, outputFolder: out).write()
        #expect(outcome.points.isEmpty)
        let html = try String(contentsOfFile: outcome.indexPath, encoding: .utf8)
        #expect(html.contains("no points in these results"))
        #expect(html.contains("no measured runs in these results"))
    }

    @Test func aSingleRunFolderIsOnePoint() throws {
        let input = ReportFixture.temporaryDirectory()
        let log = try ResultsLog(directory: input, first: .job(ReportFixture.job(ranks: 2)))
        try log.append(ReportFixture.tasks(ranks: 2).map(ResultRecord.task))
        let outcome = try ReportWriter(inputFolder: input, outputFolder: ReportFixture.temporaryDirectory()).write()
        #expect(outcome.points.count == 1)
        #expect(outcome.points.first?.ranks == 2)
        #expect(outcome.points.first?.throughputUnit == "GFLOP/s")
    }

    @Test func repetitionsOfOneConfigurationBecomeOneRowWithMedians() throws {
        func run(_ repetition: Int, scale: Double) -> ReportInput.MeasuredRun {
            var tasks = ReportFixture.tasks(ranks: 2)
            for index in tasks.indices { tasks[index].wallSeconds *= scale }
            return ReportInput.MeasuredRun(point: SweepPoint(id: "r2_rep\(repetition)", mode: .measured, scaling: .strong, ranks: 2,
                                                             repetition: repetition, oversubscribed: repetition == 3),
                                           job: ReportFixture.job(ranks: 2), tasks: tasks, moe: [])
        }
        let input = ReportInput(folder: "memory", measured: [run(1, scale: 1), run(2, scale: 2), run(3, scale: 4)],
                                simulated: [], predictions: [], problems: [])
        let rows = ReportPointBuilder.points(from: input)
        #expect(rows.count == 1)
        let single = ReportPointBuilder.points(from: ReportInput(folder: "memory", measured: [run(2, scale: 2)], simulated: [],
                                                                 predictions: [], problems: []))
        #expect(rows.first?.runs == 3)
        #expect(rows.first?.throughput == single.first?.throughput)  // the median run
        #expect(rows.first?.oversubscribed == true)  // any oversubscribed repetition marks the row
    }

    @Test func theHeatmapHasOneCellPerExpertPerStep() throws {
        let (_, html, _) = try writeReport(simulated: false, predictions: false)
        let heatmap = SVGInspector.svgElements(in: html).first { $0.contains("id=\"expert-load-0\"") }
        let svg = try #require(heatmap)
        let (inspector, error) = SVGInspector.inspect(svg)
        #expect(error == nil)
        #expect(svg.contains("step 0, expert 4: 200 tokens"))
        #expect(svg.contains("step 2, expert 7: 96 tokens"))
        // 3 steps × 8 experts cells, plus the frame and the 24-step colour bar and background.
        #expect((inspector?.elementCounts["rect"] ?? 0) == 3 * 8 + 1 + 24 + 1)
    }
}

/// A small RFC 4180 reader for the tests.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var iterator = Array(text).makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { field.append(character) }
            } else if character == "\"" { quoted = true }
            else if character == "," { row.append(field); field = "" }
            else if character == "\n" { row.append(field); rows.append(row); row = []; field = "" }
            else { field.append(character) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

/// Cells of an HTML `<table id=…>` as the report writes it (one row per line).
enum HTMLTable {
    static func rows(_ html: String, id: String) -> [[String]] {
        guard let start = html.range(of: "<table id=\"\(id)\">"), let end = html.range(of: "</table>", range: start.upperBound..<html.endIndex) else { return [] }
        let table = html[start.upperBound..<end.lowerBound]
        return table.split(separator: "\n").compactMap { line -> [String]? in
            guard line.contains("<tr") else { return nil }
            let cells = line.components(separatedBy: "<t").dropFirst().compactMap { part -> String? in
                guard part.hasPrefix("d>") || part.hasPrefix("h>") else { return nil }
                let content = part.dropFirst(2)
                guard let close = content.range(of: "</t") else { return nil }
                return unescape(String(content[..<close.lowerBound]))
            }
            return cells
        }
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
