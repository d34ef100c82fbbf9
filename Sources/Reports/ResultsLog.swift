import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `results.jsonl` written so that a job killed at any moment leaves only whole lines.
///
/// The file is started atomically (first line written to `results.jsonl.partial`, flushed,
/// renamed over any old file), then each record is appended with `write(2)` on an `O_APPEND`
/// descriptor. The log remembers the end of its last complete line: a write that fails part
/// way (a full disk) cuts the file back there before the error is thrown, so the file never
/// ends in a torn line. Reading tolerates (and names) a torn last line anyway, for files
/// copied mid-write.
///
/// Non-finite numbers are written as the strings `"inf"`, `"-inf"` and `"nan"` (JSON has no
/// such numbers) and read back as the same values.
public final class ResultsLog {
    /// `write(2)`'s shape, so tests can inject a failing disk.
    public typealias WriteFunction = WholeWrite.WriteFunction

    /// The file's path.
    public let path: String
    private let descriptor: Int32
    private let encoder = ResultsLog.makeEncoder()
    private let writeFunction: WriteFunction
    /// The file's length up to the end of its last complete line.
    private var goodLength: off_t

    /// Creates `directory` if needed and starts `directory/results.jsonl` with `first`.
    public init(directory: String, first: ResultRecord, write: @escaping WriteFunction = { Glibc.write($0, $1, $2) }) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("results.jsonl")
        writeFunction = write
        let line = try ResultsLog.line(for: first, encoder: encoder)
        try ResultsLog.replace(path, with: line)
        descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw ResultsFolderError.cannotWrite(path, errno: errno) }
        goodLength = off_t(line.count)
    }

    /// Opens an existing `directory/results.jsonl` to append to (for a resumed run). The file is
    /// first rewritten atomically with only the lines `keep` accepts (a job record and lines of
    /// unknown types are always kept); a torn last line is dropped. Returns the log and how many
    /// record lines were dropped.
    public init(resumingIn directory: String, keep: (ResultRecord) -> Bool,
                write: @escaping WriteFunction = { Glibc.write($0, $1, $2) }) throws {
        path = (directory as NSString).appendingPathComponent("results.jsonl")
        writeFunction = write
        guard let data = FileManager.default.contents(atPath: path) else { throw ResultsFolderError.cannotRead(path) }
        let decoder = ResultsLog.makeDecoder()
        var kept = Data()
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if data.last != UInt8(ascii: "\n") { lines.removeLast() }   // torn (or empty) last piece
        var droppedLines = 0
        for line in lines where !line.isEmpty {
            let record = try? decoder.decode(ResultRecord.self, from: Data(line))
            switch record {
            case .task?, .moe?, .batch?:
                if let record, keep(record) { kept.append(contentsOf: line); kept.append(UInt8(ascii: "\n")) } else { droppedLines += 1 }
            default:
                kept.append(contentsOf: line); kept.append(UInt8(ascii: "\n"))
            }
        }
        dropped = droppedLines
        if kept != data { try ResultsLog.replace(path, with: kept) }
        descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw ResultsFolderError.cannotWrite(path, errno: errno) }
        goodLength = off_t(kept.count)
    }

    /// Record lines the resuming initializer dropped (partial steps, repeated keys).
    public private(set) var dropped = 0

    deinit { close(descriptor) }

    /// Appends one record as one line. On a failed write the file is cut back to its last
    /// complete line and ``ResultsFolderError/cannotWrite(_:errno:)`` names the path and errno.
    public func append(_ record: ResultRecord) throws {
        let line = try ResultsLog.line(for: record, encoder: encoder)
        do {
            try ResultsLog.writeAll(line, to: descriptor, path: path, using: writeFunction)
            goodLength += off_t(line.count)
        } catch {
            _ = ftruncate(descriptor, goodLength)
            throw error
        }
    }

    /// Appends records, each one line.
    public func append(_ records: [ResultRecord]) throws {
        for record in records { try append(record) }
    }

    /// The encoder of every results line (sorted keys; non-finite numbers as strings).
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// The decoder matching ``makeEncoder()``.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    private static func line(for record: ResultRecord, encoder: JSONEncoder) throws -> Data {
        var data = try encoder.encode(record)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// Writes `data` to `PATH.partial`, flushes it and renames it over `path`.
    private static func replace(_ path: String, with data: Data) throws {
        let temporary = path + ".partial"
        let temporaryDescriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard temporaryDescriptor >= 0 else { throw ResultsFolderError.cannotWrite(temporary, errno: errno) }
        defer { close(temporaryDescriptor) }
        do {
            try writeAll(data, to: temporaryDescriptor, path: temporary, using: { Glibc.write($0, $1, $2) })
        } catch {
            unlink(temporary)
            throw error
        }
        guard fsync(temporaryDescriptor) == 0 else { let code = errno; unlink(temporary); throw ResultsFolderError.cannotWrite(temporary, errno: code) }
        guard rename(temporary, path) == 0 else { let code = errno; unlink(temporary); throw ResultsFolderError.cannotWrite(path, errno: code) }
    }

    private static func writeAll(_ data: Data, to descriptor: Int32, path: String, using write: WriteFunction) throws {
        if let failure = WholeWrite.write(data, to: descriptor, using: write) { throw ResultsFolderError.cannotWrite(path, errno: failure) }
    }

    /// Reads a results file: the records that parse, and one problem per line that does not
    /// (file and 1-based line number), so callers can report and go on.
    public static func read(path: String) throws -> (records: [ResultRecord], problems: [String]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ResultsFolderError.cannotRead(path) }
        let decoder = makeDecoder()
        var records: [ResultRecord] = []
        var problems: [String] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            do {
                records.append(try decoder.decode(ResultRecord.self, from: Data(line)))
            } catch {
                problems.append("\(path):\(index + 1): not a valid record (\(error))")
            }
        }
        return (records, problems)
    }
}
