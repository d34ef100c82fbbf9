import Foundation

/// The layout of a sweep's results folder:
///
/// ```
/// DIR/sweep.jsonl                   one SweepIndexEntry per point (rewritten atomically)
/// DIR/points/<id>/results.jsonl     a measured point (what `frugal run --out` writes)
/// DIR/points/<id>/job.toml          the derived job file of a weak-scaling point
/// DIR/points/<id>/simulation.json   a simulated point (what `frugal simulate --format json` printed)
/// DIR/points/<id>/log.txt           the child process's standard output and error
/// DIR/points/<id>/done.json         the marker: written atomically once the point is complete
/// DIR/predictions.jsonl             optional: predicted vs measured seconds (calibration)
/// ```
public struct SweepFolder: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var indexPath: String { join(path, "sweep.jsonl") }
    public var predictionsPath: String { join(path, "predictions.jsonl") }
    public func pointFolder(_ id: String) -> String { join(join(path, "points"), id) }
    public func markerPath(_ id: String) -> String { join(pointFolder(id), "done.json") }
    public func resultsPath(_ id: String) -> String { join(pointFolder(id), "results.jsonl") }
    public func simulationPath(_ id: String) -> String { join(pointFolder(id), "simulation.json") }
    public func logPath(_ id: String) -> String { join(pointFolder(id), "log.txt") }

    /// The finished point's marker, or nil when the point has not finished (or the marker does not parse).
    public func marker(_ id: String) -> SweepIndexEntry? {
        guard let data = FileManager.default.contents(atPath: markerPath(id)) else { return nil }
        return try? JSONDecoder().decode(SweepIndexEntry.self, from: data)
    }

    /// Marks a point finished (atomically).
    public func writeMarker(_ entry: SweepIndexEntry) throws {
        try AtomicFile.write(try Self.encoder.encode(entry), to: markerPath(entry.point.id))
    }

    /// Reads `sweep.jsonl`: the entries that parse, and a `file:line` problem for each line that does not.
    public func readIndex() -> (entries: [SweepIndexEntry], problems: [String]) {
        guard let data = FileManager.default.contents(atPath: indexPath) else { return ([], []) }
        var entries: [SweepIndexEntry] = []
        var problems: [String] = []
        var position: [String: Int] = [:]   // point id → its entry: one entry per point, the last line wins
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do {
                let entry = try JSONDecoder().decode(SweepIndexEntry.self, from: Data(line))
                if let earlier = position[entry.point.id] {
                    entries[earlier] = entry
                    problems.append("\(indexPath):\(index + 1): point \(entry.point.id) is listed again; its last entry counts")
                } else {
                    position[entry.point.id] = entries.count
                    entries.append(entry)
                }
            } catch {
                problems.append("\(indexPath):\(index + 1): not a valid sweep entry (\(error))")
            }
        }
        return (entries, problems)
    }

    /// Rewrites `sweep.jsonl` atomically with `entries`, one per line.
    public func writeIndex(_ entries: [SweepIndexEntry]) throws {
        var data = Data()
        for entry in entries {
            data.append(try Self.encoder.encode(entry))
            data.append(UInt8(ascii: "\n"))
        }
        try AtomicFile.write(data, to: indexPath)
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    private func join(_ a: String, _ b: String) -> String { (a as NSString).appendingPathComponent(b) }
}
