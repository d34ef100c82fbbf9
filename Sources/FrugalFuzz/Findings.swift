import Foundation
import Reports

/// The findings folder: `<target>-<n><ext>` (the input) and `<target>-<n>.note` (what happened
/// and how to reproduce it), numbered per target; plus the worker's scratch files
/// `current-<target>/` (the input in progress), `current-<target>.index` and `.stderr`, which
/// live in a scratch folder (see ``scratchFolder(for:)``).
struct Findings: Sendable {
    let folder: String
    let target: FuzzTarget
    /// Where the scratch files live.
    let scratch: String

    init(folder: String, target: FuzzTarget) throws {
        self.folder = folder
        self.target = target
        scratch = Self.scratchFolder(for: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: currentFolder, withIntermediateDirectories: true)
    }

    var currentFolder: String { (scratch as NSString).appendingPathComponent("current-\(target.name)") }
    var currentInput: String { (currentFolder as NSString).appendingPathComponent(target.fileName) }
    var currentIndexPath: String { (scratch as NSString).appendingPathComponent("current-\(target.name).index") }
    var workerStderrPath: String { (scratch as NSString).appendingPathComponent("current-\(target.name).stderr") }

    /// The scratch folder of the findings folder `folder`: in memory (`/dev/shm`) where there is
    /// one, since every input is written there before it runs and truncating a file on a disk
    /// costs milliseconds (measured here: 10× the fuzzing rate); else `folder` itself. Named
    /// after `folder`'s absolute path, so the supervisor and its workers agree on it.
    static func scratchFolder(for folder: String) -> String {
        let memory = "/dev/shm"
        guard access(memory, W_OK) == 0 else { return folder }
        let absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a
        for byte in absolute.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return memory + "/frugal-fuzz-" + String(hash, radix: 16)
    }

    /// Writes input `index` where a crash leaves it behind. Plain `write(2)` without `fsync`:
    /// a crashing worker leaves its page cache to the supervisor, and Foundation's `Data.write`
    /// syncs every file, which made the disk, not the target, set the fuzzing rate.
    func writeCurrent(_ bytes: [UInt8], index: Int) throws {
        try Self.overwrite(currentIndexPath, with: Array(String(index).utf8))
        try Self.overwrite(currentInput, with: bytes)
    }

    private static func overwrite(_ path: String, with bytes: [UInt8]) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(descriptor) }
        if WholeWrite.write(Data(bytes), to: descriptor) != nil { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }

    /// Removes this target's scratch files (findings are copies, kept in ``folder``).
    func removeScratch() {
        for path in [currentFolder, currentIndexPath, workerStderrPath] { try? FileManager.default.removeItem(atPath: path) }
        if scratch != folder { _ = rmdir(scratch) }   // only once every target's files are gone
    }

    /// The index of the input in progress when the worker died.
    func currentIndex() -> Int? {
        guard let data = FileManager.default.contents(atPath: currentIndexPath) else { return nil }
        return Int(String(decoding: data, as: UTF8.self))
    }

    /// Saves `input` (a path) as the next finding with `note`; returns the finding's path.
    @discardableResult
    func save(inputAt input: String, note: String) -> String {
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let prefix = target.name + "-"
        let numbers = existing.compactMap { name -> Int? in
            guard name.hasPrefix(prefix), name.hasSuffix(".note") else { return nil }
            return Int(name.dropFirst(prefix.count).dropLast(5))
        }
        let number = (numbers.max() ?? 0) + 1
        let stem = (folder as NSString).appendingPathComponent("\(target.name)-\(number)")
        let path = stem + target.fileExtension
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.copyItem(atPath: input, toPath: path)
        try? Data(note.utf8).write(to: URL(fileURLWithPath: stem + ".note"))
        return path
    }
}
