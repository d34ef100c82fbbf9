import Foundation

/// Numbers in reports are rounded once, to 6 significant digits, so the HTML, the CSV, the JSON
/// and the Markdown all carry the same value.
public enum ReportNumber {
    /// `value` rounded to 6 significant digits (non-finite values pass through).
    public static func rounded(_ value: Double) -> Double {
        guard value.isFinite, value != 0 else { return value }
        return Double(String(format: "%.6g", value)) ?? value
    }

    /// The text of a rounded value, as written in CSV, HTML and Markdown.
    public static func text(_ value: Double?) -> String {
        guard let value else { return "" }
        guard value.isFinite else { return "" }
        return String(format: "%.6g", value)
    }
}
