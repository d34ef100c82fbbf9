import Foundation

/// The findings folder: `<target>-<n><ext>` (the input) and `<target>-<n>.note` (what happened
/// and how to reproduce it), numbered per target; plus the worker's scratch files
/// `current-<target>/` (the input in progress) and `current-<target>.index`.
struct Findings: Sendable {
    let folder: String
    let target: FuzzTarget

    init(folder: String, target: FuzzTarget) throws {
        self.folder = folder
        self.target = target
        try FileManager.default.createDirectory(atPath: currentFolder, withIntermediateDirectories: true)
    }

    var currentFolder: String { (folder as NSString).appendingPathComponent("current-\(target.name)") }
    var currentInput: String { (currentFolder as NSString).appendingPathComponent(target.fileName) }
    var currentIndexPath: String { (folder as NSString).appendingPathComponent("current-\(target.name).index") }
    var workerStderrPath: String { (folder as NSString).appendingPathComponent("current-\(target.name).stderr") }

    /// Writes input `index` where a crash leaves it behind.
    func writeCurrent(_ bytes: [UInt8], index: Int) throws {
        try Data(String(index).utf8).write(to: URL(fileURLWithPath: currentIndexPath))
        try Data(bytes).write(to: URL(fileURLWithPath: currentInput))
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
