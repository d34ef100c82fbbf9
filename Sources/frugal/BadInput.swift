import ArgumentParser
import Config
import Foundation
import Hardware
import Reports
import Simulator
import Workload

/// Prints `frugal: error: …` on stderr and exits with status 2 (a bad input: nothing ran).
func failBadInput(_ message: String) throws -> Never {
    FileHandle.standardError.write(Data("frugal: error: \(message)\n".utf8))
    throw ExitCode(ExitStatus.badInput)
}

/// Prints `frugal: error: …` on stderr and exits with status 1 (a result that cannot be trusted,
/// e.g. a simulated figure that is not finite).
func failResult(_ message: String) throws -> Never {
    FileHandle.standardError.write(Data("frugal: error: \(message)\n".utf8))
    throw ExitCode(ExitStatus.resultFailed)
}

/// Runs `body`; a bad input it throws — a config file, a flag out of bounds, a training setup the
/// simulator refuses, a what-if — becomes one `frugal: error:` line and exit status 2. Other
/// errors pass through.
func reportingBadInput<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch {
        guard let message = badInputMessage(error) else { throw error }
        try failBadInput(message)
    }
}

/// Bounds checks for flag values, applied where each flag is read.
enum FlagBounds {
    /// `value` if it lies in `range`; otherwise a ``FlagError`` naming `flag` and the range.
    @discardableResult
    static func integer(_ value: Int, _ flag: String, in range: ClosedRange<Int>, _ meaning: String = "an integer") throws(FlagError) -> Int {
        guard range.contains(value) else { throw FlagError(flag: flag, expected: "\(meaning) in \(range.lowerBound)...\(range.upperBound)", found: "\(value)") }
        return value
    }

    /// `value` if it is finite and lies in `range`.
    @discardableResult
    static func number(_ value: Double, _ flag: String, in range: ClosedRange<Double>, _ meaning: String = "a finite number") throws(FlagError) -> Double {
        guard value.isFinite, range.contains(value) else {
            throw FlagError(flag: flag, expected: "\(meaning) in \(range.lowerBound)...\(range.upperBound)", found: "\(value)")
        }
        return value
    }

    /// A comma-separated list of integers, each in `range`, at most `maxCount` of them.
    static func integerList(_ text: String, _ flag: String, in range: ClosedRange<Int>, maxCount: Int = 1024) throws(FlagError) -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard items.count <= maxCount else {
            throw FlagError(flag: flag, expected: "at most \(maxCount) comma-separated values", found: "\(items.count)")
        }
        var values: [Int] = []
        for item in items {
            guard let value = Int(item), range.contains(value) else {
                throw FlagError(flag: flag, expected: "comma-separated integers in \(range.lowerBound)...\(range.upperBound)",
                                found: "'\(item)' in '\(text)'")
            }
            values.append(value)
        }
        return values
    }
}

/// Checks for output paths given on the command line, before any work is done.
enum OutputPath {
    /// `path` (given to `flag`) can be written as a whole file: not empty, not a folder, a device,
    /// a pipe or a link (``AtomicFile`` replaces by renaming), and in a folder that exists — or,
    /// with `creatingFolder`, one that can be created.
    static func checkFile(_ path: String, flag: String, creatingFolder: Bool = false) throws(FlagError) {
        guard !path.isEmpty else { throw FlagError(flag: flag, expected: "a file path", found: "an empty path") }
        if let kind = AtomicFile.nonRegularKind(at: path) {
            throw FlagError(flag: flag, expected: "a regular file (written anew and renamed into place)", found: "'\(path)', \(kind)")
        }
        let parent = (path as NSString).deletingLastPathComponent
        if creatingFolder {
            if !parent.isEmpty { try checkFolder(parent, flag: flag) }
            return
        }
        var isDirectory: ObjCBool = false
        if !parent.isEmpty && !(FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) && isDirectory.boolValue) {
            throw FlagError(flag: flag, expected: "a file in an existing folder", found: "'\(path)' (no folder '\(parent)')")
        }
    }

    /// `path` (given to `flag`) can be a folder: it is one, or its nearest existing ancestor is a
    /// folder (the rest is created); a file there is a bad input, named with the flag.
    static func checkFolder(_ path: String, flag: String) throws(FlagError) {
        guard !path.isEmpty else { throw FlagError(flag: flag, expected: "a folder", found: "an empty path") }
        var candidate = (path as NSString).standardizingPath
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) {
            let parent = (candidate as NSString).deletingLastPathComponent
            if parent.isEmpty || parent == candidate { return }
            candidate = parent
        }
        guard isDirectory.boolValue else {
            throw FlagError(flag: flag, expected: "a folder (created if missing)",
                            found: candidate == (path as NSString).standardizingPath ? "'\(path)', a file" : "'\(path)' inside '\(candidate)', a file")
        }
    }
}
