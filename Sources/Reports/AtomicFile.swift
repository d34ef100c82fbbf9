import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes whole files atomically: to `PATH.partial` first (flushed), then renamed over `PATH`,
/// so a reader sees the old file or the new one, never half of one. A failed write (a full
/// disk) removes the partial file and names the path and errno. The one writer of whole files
/// (results index, sweep markers, simulate's `--out`/`--trace`, calibrate's cluster file,
/// predictions).
///
/// Only a regular file is ever replaced: the rename would put a file in the place of a device,
/// a socket, a pipe or a link (as root, `--out /dev/full` replaced the device), so such a path
/// is refused (``ResultsFolderError/notARegularFile(_:kind:)``).
public enum AtomicFile {
    /// What is at `path` when it is there and is not a regular file (e.g. "a character device"),
    /// or nil (nothing there, or a regular file). A symbolic link is reported as one, not followed.
    public static func nonRegularKind(at path: String) -> String? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a named pipe"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// Writes `data` to `path`, creating its folder if needed.
    public static func write(_ data: Data, to path: String) throws {
        if let kind = nonRegularKind(at: path) { throw ResultsFolderError.notARegularFile(path, kind: kind) }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let temporary = path + ".partial"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ResultsFolderError.cannotWrite(temporary, errno: errno) }
        let failure = WholeWrite.write(data, to: descriptor) ?? (fsync(descriptor) == 0 ? nil : errno)
        close(descriptor)
        if let failure {
            unlink(temporary)
            throw ResultsFolderError.cannotWrite(temporary, errno: failure)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw ResultsFolderError.cannotWrite(path, errno: code)
        }
    }

    /// Writes `text` as UTF-8.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
