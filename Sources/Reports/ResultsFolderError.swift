#if canImport(Glibc)
import Glibc
#endif

/// Why a results or report folder, or a file in one, could not be used: the one error of the
/// results-folder layer (locking, the results log, whole-file writes, report folders).
///
/// ``isBadInput`` says whether the user chose the folder badly (exit status 2: held by another
/// run, a file where a folder should be, foreign files) or the system failed (exit status 3).
public enum ResultsFolderError: Error, Equatable, CustomStringConvertible {
    /// The path given as a folder is a file.
    case notAFolder(String)
    /// The folder could not be created.
    case cannotCreate(String, reason: String)
    /// Another process holds the folder's lock.
    case held(folder: String, holder: FolderLock.Holder)
    /// The lock file could not be opened, locked or written.
    case cannotLock(String, errno: Int32)
    /// The results log could not be started or continued there.
    case notWritable(String, reason: String)
    /// A new run would replace the records of an earlier one (of `job`, when its header names it).
    case holdsResults(String, job: String?)
    /// A report would replace a folder that holds other files.
    case foreignFiles(String, names: [String])
    /// The report could not be written or swapped into place.
    case cannotWriteReport(String, reason: String)
    /// The path holds something other than a regular file, which a rename would replace.
    case notARegularFile(String, kind: String)
    /// A file could not be written.
    case cannotWrite(String, errno: Int32)
    /// A file or folder could not be read.
    case cannotRead(String)

    /// Whether the folder was chosen badly (exit status 2) rather than the system failing (3).
    public var isBadInput: Bool {
        switch self {
        case .notAFolder, .cannotCreate, .held, .cannotLock, .notWritable, .holdsResults, .foreignFiles: return true
        case .cannotWriteReport, .notARegularFile, .cannotWrite, .cannotRead: return false
        }
    }

    public var description: String {
        switch self {
        case .notAFolder(let path): return "--out \(path) is a file, not a folder"
        case .cannotCreate(let path, let reason): return "--out \(path): cannot create the folder: \(reason)"
        case .held(let folder, let holder):
            return "\(folder) is in use by \(holder); wait for it to finish or choose another --out folder"
        case .cannotLock(let path, let code): return "cannot lock \(path): \(Self.errnoText(code))"
        case .notWritable(let path, let reason): return "\(path): expected a writable results folder (--out), found \(reason)"
        case .holdsResults(let path, let job):
            return "--out \(path): expected a folder without results (it holds \(job.map { "job '\($0)'" } ?? "a results.jsonl")); "
                + "continue that run with --resume, or choose another --out"
        case .foreignFiles(let path, let names):
            let shown = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", …" : "")
            return "--out \(path) holds files that are not a report's (\(shown)); a report replaces its whole folder: choose an empty or report-only folder"
        case .cannotWriteReport(let path, let reason): return "cannot write the report \(path): \(reason)"
        case .notARegularFile(let path, let kind):
            return "\(path) is \(kind), not a regular file: Frugal writes a new file and renames it into place, which would replace it"
        case .cannotWrite(let path, let code): return "cannot write \(path): \(Self.errnoText(code))"
        case .cannotRead(let path): return "cannot read \(path)"
        }
    }

    static func errnoText(_ code: Int32) -> String { "\(String(cString: strerror(code))) (errno \(code))" }
}
