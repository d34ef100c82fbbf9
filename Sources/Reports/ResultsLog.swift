import Foundation

/// `results.jsonl` written so that a job killed at any moment leaves only whole lines.
///
/// The file is started atomically (first line written to `results.jsonl.partial`, flushed,
/// renamed over any old file), then each record is appended with one `write(2)` on an
/// `O_APPEND` descriptor: a line is either all there or absent. Reading tolerates (and names)
/// a torn last line anyway, for files copied mid-write.
public final class ResultsLog {
    /// The file's path.
    public let path: String
    private let descriptor: Int32
    private let encoder: JSONEncoder

    /// Creates `directory` if needed and starts `directory/results.jsonl` with `first`.
    public init(directory: String, first: ResultRecord) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("results.jsonl")
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let temporary = path + ".partial"
        let line = try ResultsLog.line(for: first, encoder: encoder)
        let temporaryDescriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard temporaryDescriptor >= 0 else { throw ResultsLogError.cannotWrite(temporary, errno: errno) }
        defer { close(temporaryDescriptor) }
        try ResultsLog.writeAll(line, to: temporaryDescriptor, path: temporary)
        fsync(temporaryDescriptor)
        guard rename(temporary, path) == 0 else { throw ResultsLogError.cannotWrite(path, errno: errno) }
        descriptor = open(path, O_WRONLY | O_APPEND)
        guard descriptor >= 0 else { throw ResultsLogError.cannotWrite(path, errno: errno) }
    }

    /// Opens an existing `directory/results.jsonl` to append to (for a resumed run). A torn
    /// last line (a copy taken mid-write) is cut off first.
    public init(appendingIn directory: String) throws {
        path = (directory as NSString).appendingPathComponent("results.jsonl")
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = FileManager.default.contents(atPath: path) else { throw ResultsLogError.cannotRead(path) }
        if let last = data.last, last != UInt8(ascii: "\n") {
            let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
            guard truncate(path, off_t(keep)) == 0 else { throw ResultsLogError.cannotWrite(path, errno: errno) }
        }
        descriptor = open(path, O_WRONLY | O_APPEND)
        guard descriptor >= 0 else { throw ResultsLogError.cannotWrite(path, errno: errno) }
    }

    deinit { close(descriptor) }

    /// Appends one record as one line.
    public func append(_ record: ResultRecord) throws {
        try ResultsLog.writeAll(try ResultsLog.line(for: record, encoder: encoder), to: descriptor, path: path)
    }

    /// Appends records, each one line.
    public func append(_ records: [ResultRecord]) throws {
        for record in records { try append(record) }
    }

    private static func line(for record: ResultRecord, encoder: JSONEncoder) throws -> Data {
        var data = try encoder.encode(record)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    private static func writeAll(_ data: Data, to descriptor: Int32, path: String) throws {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ResultsLogError.cannotWrite(path, errno: errno)
                }
                offset += written
            }
        }
    }

    /// Reads a results file: the records that parse, and one problem per line that does not
    /// (file and 1-based line number), so callers can report and go on.
    public static func read(path: String) throws -> (records: [ResultRecord], problems: [String]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ResultsLogError.cannotRead(path) }
        let decoder = JSONDecoder()
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

/// Why a results file could not be written or read.
public enum ResultsLogError: Error, CustomStringConvertible {
    case cannotWrite(String, errno: Int32)
    case cannotRead(String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let code): return "cannot write \(path): \(String(cString: strerror(code)))"
        case .cannotRead(let path): return "cannot read \(path)"
        }
    }
}
