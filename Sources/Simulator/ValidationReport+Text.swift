import Foundation

extension ValidationReport {
    /// The table as `frugal validate` prints it: one line per published figure, then why rows
    /// were not simulated, what each run's files cannot express, the statistics and the targets.
    public func text() -> String {
        let header = ["run", "org", "chip", "GPUs", "seq", "metric (definition)", "published", "simulated", "error", "set", "missing"]
        var table = [header]
        for row in rows {
            table.append([row.run, row.organisation, row.chip, "\(row.gpus)", "\(row.sequenceLength)", row.label,
                          Self.number(row.published), row.simulated.map(Self.number) ?? "—",
                          row.error.map { String(format: "%+.1f %%", 100 * $0) } ?? "n/a", row.set, "\(row.missing.count)"])
        }
        let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        let rightAligned: Set<Int> = [3, 4, 6, 7, 8, 10]
        var lines = table.map { cells in
            cells.indices.map { column in
                let pad = String(repeating: " ", count: widths[column] - cells[column].count)
                return rightAligned.contains(column) ? pad + cells[column] : cells[column] + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        lines.insert(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1)), at: 1)
        lines.append("")
        lines.append("error = simulated / published − 1 (for seconds and GPU-hours, positive means the simulation is slower).")
        let refused = uniqueRuns { $0.refusal.map { " \($0)" } }
        if !refused.isEmpty { lines.append("Not simulated:"); lines += refused }
        let missing = uniqueRuns { $0.missing.isEmpty ? nil : " " + $0.missing.joined(separator: "; ") }
        if !missing.isEmpty { lines.append("Missing in Frugal (the 'missing' column: what the published setup uses that the files cannot say yet):"); lines += missing }
        lines.append("")
        lines.append("fitting set: \(fittingSet.joined(separator: ", "))")
        lines.append(Self.describe("validation rows", validation))
        lines.append(Self.describe("  of them under a stack kernel fraction", validationWithStackFraction))
        lines.append(Self.describe("  of them without one", validationWithoutStackFraction))
        lines.append(Self.describe("fit rows", fit))
        lines.append("targets:")
        for target in targets { lines.append("  [\(target.holds ? "holds" : "fails")] \(target.name): \(target.detail)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `run: text` once per run, for the runs where `text` gives something.
    private func uniqueRuns(_ text: (ValidationRow) -> String?) -> [String] {
        var seen: Set<String> = []
        return rows.compactMap { row in
            guard seen.insert(row.run).inserted, let line = text(row) else { return nil }
            return "  \(row.run):" + line
        }
    }

    /// `label: N (M simulated), median |error| …, max |error| …`.
    static func describe(_ label: String, _ statistics: Statistics) -> String {
        let percent = { (value: Double?) in value.map { String(format: "%.1f %%", 100 * $0) } ?? "n/a" }
        return "\(label): \(statistics.rows) (\(statistics.simulated) simulated), median |error| \(percent(statistics.medianAbsError)), "
            + "max |error| \(percent(statistics.maxAbsError))"
    }

    /// A figure with about four significant digits.
    static func number(_ value: Double) -> String {
        if value >= 10_000 { return String(format: "%.0f", value) }
        if value >= 100 { return String(format: "%.1f", value) }
        return String(format: "%.3g", value)
    }

    /// The report as JSON (rows, statistics, targets).
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
