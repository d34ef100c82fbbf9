import Foundation

/// The size of a cluster file (`nodes`, `gpusPerNode` and `chip` at its top level) and a copy
/// resized to another chip count, so a simulated sweep can vary chips on any cluster file.
public struct ClusterFileSize: Sendable, Equatable {
    public var chip: String?
    public var nodes: Int?
    public var gpusPerNode: Int?

    /// `nodes · gpusPerNode`, when both are known.
    public var gpus: Int? { nodes.flatMap { n in gpusPerNode.map { n * $0 } } }

    /// Reads the top-level keys of `text` (before the first table header).
    public init(text: String) {
        for line in Self.topLevelLines(text) {
            guard let (key, value) = Self.assignment(line) else { continue }
            switch key {
            case "chip": chip = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            case "nodes": nodes = Int(value)
            case "gpusPerNode": gpusPerNode = Int(value)
            default: break
            }
        }
    }

    /// Reads a cluster file; nil when it cannot be read.
    public init?(contentsOfFile path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        self.init(text: text)
    }

    /// `text` with its top-level `nodes = …` set to `nodes`; nil when there is no such line.
    public static func resized(_ text: String, nodes: Int) -> String? {
        var found = false
        var inTable = false
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") { inTable = true }
            if !inTable, !found, let (key, _) = assignment(String(line)), key == "nodes" {
                found = true
                let comment = line.range(of: "#").map { "  " + line[$0.lowerBound...] } ?? ""
                return "nodes = \(nodes)" + comment
            }
            return String(line)
        }
        return found ? lines.joined(separator: "\n") : nil
    }

    static func topLevelLines(_ text: String) -> [String] {
        var result: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("[") { break }
            result.append(String(line))
        }
        return result
    }

    /// `key = value  # comment` → (key, value) without the comment.
    static func assignment(_ line: String) -> (String, String)? {
        let uncommented = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let parts = uncommented.split(separator: "=", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        return (parts[0].trimmingCharacters(in: .whitespaces), parts[1].trimmingCharacters(in: .whitespaces))
    }
}
