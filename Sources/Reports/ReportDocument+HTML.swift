import Foundation

extension ReportDocument {
    /// The page's inline stylesheet.
    static let style = """
        body { font-family: sans-serif; margin: 24px auto; max-width: 1120px; color: #222; }
        h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 36px; border-bottom: 1px solid #ccc; }
        p.meta { color: #555; } p.absent { color: #8a5300; background: #fff6e0; padding: 6px 10px; border-left: 4px solid #e69f00; }
        div.problems { background: #fdecea; border-left: 4px solid #d55e00; padding: 6px 12px; }
        figure { margin: 12px 0; } svg { max-width: 100%; height: auto; }
        table { border-collapse: collapse; font-size: 12px; display: block; overflow-x: auto; }
        th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: right; white-space: nowrap; }
        th { background: #f3f3f3; } tr.oversubscribed td { color: #8a5300; }
        """

    /// The self-contained report page (`index.html`): inline CSS and SVG, no scripts, no fonts, no network.
    public var html: String {
        let e = SVGDocument.escape
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title))</title>
            <style>
            \(Self.style)
            </style>
            </head>
            <body>
            <h1>\(e(title))</h1>
            <p class="meta">From <code>\(e(sourceFolder))</code>, generated \(e(generatedAt)). The same numbers are in
            <code>points.csv</code>, <code>points.json</code> and <code>summary.md</code> beside this page.</p>

            """
        if !problems.isEmpty {
            page += "<div class=\"problems\" id=\"problems\"><p><strong>\(problems.count) problem\(problems.count == 1 ? "" : "s") reading the results</strong> (the rest is plotted):</p>\n<ul>\n"
            page += problems.map { "<li><code>\(e($0))</code></li>" }.joined(separator: "\n")
            page += "\n</ul></div>\n"
        }
        for section in sections {
            page += "<section id=\"\(e(section.id))\">\n<h2>\(e(section.title))</h2>\n<p>\(e(section.explanation))</p>\n"
            for sentence in section.absent { page += "<p class=\"absent\">\(e(sentence))</p>\n" }
            for figure in section.figures { page += "<figure>\n\(figure)\n</figure>\n" }
            page += "</section>\n"
        }
        page += "<section id=\"table\">\n<h2>All points</h2>\n"
        page += table.points.isEmpty ? "<p class=\"absent\">no points in these results</p>\n" : table.html + "\n"
        page += "</section>\n</body>\n</html>\n"
        return page
    }
}
