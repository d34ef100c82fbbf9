import Config
import Foundation
import Workload

/// A job file for a weak-scaling point: the same job with every task's `m` (rows) multiplied by
/// the rank count, so each rank keeps the same share of work as at one rank.
public enum WeakScalingJob {
    /// Why a job could not be scaled.
    public struct ScalingError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The text of `original` (a job file's contents, at `path`) with each `[[tasks]]` table's
    /// `m = N` line replaced by `m = N·factor`. Comments and everything else are kept. The
    /// result is decoded again and checked, so a job whose `m` is written in a form this edit
    /// does not recognise is an error rather than a silently unscaled point.
    public static func scaled(_ original: String, path: String, factor: Int) throws -> String {
        var inTask = false
        var lines: [String] = []
        for line in original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") {
                inTask = trimmed.replacingOccurrences(of: " ", with: "").hasPrefix("[[tasks]]")
            }
            if inTask, let scaledLine = scaledAssignment(line, factor: factor) {
                lines.append(scaledLine)
            } else {
                lines.append(line)
            }
        }
        let text = lines.joined(separator: "\n")
        let before = try Job(document: ConfigDocument(text: original, file: path), limits: JobLimits(ranks: 1, availableMemoryBytes: nil))
        let after = try Job(document: ConfigDocument(text: text, file: path), limits: JobLimits(ranks: factor, availableMemoryBytes: nil))
        for (old, new) in zip(before.tasks, after.tasks) {
            if case .gemm(let oldTask) = old, case .gemm(let newTask) = new, newTask.m != oldTask.m * factor {
                throw ScalingError(description: "\(path): task '\(oldTask.name)': cannot scale m for weak scaling (write it as `m = <integer>` on its own line)")
            }
        }
        return text
    }

    /// `m = 512  # comment` → `m = 1024  # comment`; nil when the line is not such an assignment.
    static func scaledAssignment(_ line: String, factor: Int) -> String? {
        let indentEnd = line.firstIndex { $0 != " " && $0 != "\t" } ?? line.endIndex
        let rest = line[indentEnd...]
        guard rest.hasPrefix("m") else { return nil }
        var cursor = rest.index(after: rest.startIndex)
        while cursor < rest.endIndex, rest[cursor] == " " || rest[cursor] == "\t" { cursor = rest.index(after: cursor) }
        guard cursor < rest.endIndex, rest[cursor] == "=" else { return nil }
        cursor = rest.index(after: cursor)
        while cursor < rest.endIndex, rest[cursor] == " " || rest[cursor] == "\t" { cursor = rest.index(after: cursor) }
        let digitsEnd = rest[cursor...].firstIndex { !$0.isNumber } ?? rest.endIndex
        guard digitsEnd > cursor, let value = Int(rest[cursor..<digitsEnd]) else { return nil }
        let tail = rest[digitsEnd...]
        let tailTrimmed = tail.trimmingCharacters(in: .whitespaces)
        guard tailTrimmed.isEmpty || tailTrimmed.hasPrefix("#") else { return nil }
        return String(line[..<indentEnd]) + "m = \(value * factor)" + tail
    }
}
