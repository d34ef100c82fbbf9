import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a report's files all or nothing: into a temporary folder beside the target
/// (`PARENT/.NAME.partial-PID`), each file flushed, then swapped with the target in one
/// `renameat2(RENAME_EXCHANGE)` (two renames where the kernel lacks it) and the old folder
/// removed. A reader sees the old report or the new one, never a new CSV beside an old page;
/// a failure leaves the old report as it was.
public enum ReportFolder {
    /// The names a report folder may hold; any other entry makes ``replace(_:with:)`` refuse,
    /// so that replacing the folder never deletes results.
    public static let reportFiles: Set<String> = ["index.html", "summary.md", "points.csv", "points.json"]

    /// Replaces `folder` with a folder holding exactly `files` (name, contents).
    public static func replace(_ folder: String, with files: [(name: String, data: Data)]) throws(ResultsFolderError) {
        let target = (folder as NSString).standardizingPath
        let parent = (target as NSString).deletingLastPathComponent.isEmpty ? "." : (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory)
        if exists {
            guard isDirectory.boolValue else { throw .notAFolder(folder) }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
            let foreign = entries.filter { !reportFiles.contains($0) }.sorted()
            guard foreign.isEmpty else { throw .foreignFiles(folder, names: foreign) }
        }
        let temporary = (parent as NSString).appendingPathComponent(".\(name).partial-\(getpid())")
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            for file in files {
                try write(file.data, to: (temporary as NSString).appendingPathComponent(file.name))
            }
            try swap(temporary, into: target, exists: exists)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            if let error = error as? ResultsFolderError { throw error }
            throw .cannotWriteReport(folder, reason: "\(error)")
        }
    }

    private static func write(_ data: Data, to path: String) throws(ResultsFolderError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .cannotWriteReport(path, reason: ResultsFolderError.errnoText(errno)) }
        defer { close(descriptor) }
        let failure = WholeWrite.write(data, to: descriptor)
        if let failure { throw .cannotWriteReport(path, reason: ResultsFolderError.errnoText(failure)) }
        guard fsync(descriptor) == 0 else { throw .cannotWriteReport(path, reason: ResultsFolderError.errnoText(errno)) }
    }

    /// Puts `temporary` in place of `target`, then removes what was there.
    private static func swap(_ temporary: String, into target: String, exists: Bool) throws(ResultsFolderError) {
        guard exists else {
            guard rename(temporary, target) == 0 else { throw .cannotWriteReport(target, reason: ResultsFolderError.errnoText(errno)) }
            return
        }
        if exchange(temporary, target) {
            try? FileManager.default.removeItem(atPath: temporary)   // now the old report
            return
        }
        let old = temporary + ".old"
        guard rename(target, old) == 0 else { throw .cannotWriteReport(target, reason: ResultsFolderError.errnoText(errno)) }
        guard rename(temporary, target) == 0 else {
            let code = errno
            _ = rename(old, target)
            throw .cannotWriteReport(target, reason: ResultsFolderError.errnoText(code))
        }
        try? FileManager.default.removeItem(atPath: old)
    }

    /// `renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)`, looked up at run time; false when unavailable or refused.
    private static func exchange(_ a: String, _ b: String) -> Bool {
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return false }
        let function = unsafeBitCast(symbol, to: RenameAt2.self)
        let atCurrentDirectory: Int32 = -100, renameExchange: UInt32 = 2
        return function(atCurrentDirectory, a, atCurrentDirectory, b, renameExchange) == 0
    }
}
