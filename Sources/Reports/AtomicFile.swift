import Foundation

/// Writes whole files atomically: to `PATH.partial` first, then renamed over `PATH`, so a
/// reader sees the old file or the new one, never half of one.
public enum AtomicFile {
    /// Writes `data` to `path`, creating its folder if needed.
    public static func write(_ data: Data, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let temporary = path + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw ResultsLogError.cannotWrite(temporary, errno: errno)
        }
        guard rename(temporary, path) == 0 else { throw ResultsLogError.cannotWrite(path, errno: errno) }
    }

    /// Writes `text` as UTF-8.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
