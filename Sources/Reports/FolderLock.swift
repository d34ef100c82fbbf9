import Foundation

/// One writer per results folder: an exclusive `flock(2)` on a lock file, with the holder's pid,
/// host and command written in it so a refused writer can say who holds the folder.
///
/// The kernel drops the lock when the holding process ends, however it ends (kill -9 included),
/// so a lock file whose lock is not held is stale: the next writer takes it over and says so on
/// standard error. The file itself is never removed (removing it would let two writers lock two
/// different files of the same name); releasing empties it.
public final class FolderLock {
    /// The lock file.
    public let path: String
    private var descriptor: Int32

    /// What a lock file says about its holder.
    public struct Holder: Sendable, Equatable, CustomStringConvertible {
        public var pid: Int32
        public var host: String
        public var command: String

        /// Parses the lock file's text (`pid=…`, `host=…`, `command=…` lines); nil when empty or unreadable.
        init?(text: String) {
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            guard let pidText = fields["pid"], let pid = Int32(pidText) else { return nil }
            self.pid = pid
            host = fields["host"] ?? "?"
            command = fields["command"] ?? "?"
        }

        init(pid: Int32, host: String, command: String) {
            self.pid = pid
            self.host = host
            self.command = command
        }

        var text: String { "pid=\(pid)\nhost=\(host)\ncommand=\(command)\n" }

        public var description: String { "pid \(pid) on host \(host) (\(command))" }
    }

    /// What to do when another process holds the lock.
    public enum Contention: Sendable {
        /// Throw ``ResultsFolderError/held(folder:holder:)`` at once.
        case refuse
        /// Print a message on standard error and wait for the holder to finish.
        case wait
    }

    /// Locks `folder` (created if missing) with the lock file `folder/.frugal.lock`.
    public static func lock(folder: String, command: String = FolderLock.currentCommand,
                            contention: Contention = .refuse) throws(ResultsFolderError) -> FolderLock {
        try createFolder(folder)
        return try FolderLock(lockFile: (folder as NSString).appendingPathComponent(".frugal.lock"), folder: folder,
                              command: command, contention: contention)
    }

    /// Locks `folder` with a lock file beside it (`PARENT/.NAME.lock`): for a folder that is
    /// replaced as a whole, such as a report's.
    public static func lock(replacing folder: String, command: String = FolderLock.currentCommand,
                            contention: Contention = .refuse) throws(ResultsFolderError) -> FolderLock {
        let standardized = (folder as NSString).standardizingPath
        let parent = (standardized as NSString).deletingLastPathComponent
        let name = (standardized as NSString).lastPathComponent
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw .notAFolder(folder)
        }
        try createFolder(parent.isEmpty ? "." : parent)
        let lockFile = ((parent.isEmpty ? "." : parent) as NSString).appendingPathComponent(".\(name).lock")
        return try FolderLock(lockFile: lockFile, folder: folder, command: command, contention: contention)
    }

    private init(lockFile: String, folder: String, command: String, contention: Contention) throws(ResultsFolderError) {
        path = lockFile
        descriptor = open(lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .cannotLock(lockFile, errno: errno) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK else { close(descriptor); throw .cannotLock(lockFile, errno: code) }
            let holder = Holder(text: Self.read(descriptor)) ?? Holder(pid: 0, host: "?", command: "another frugal process")
            guard contention == .wait else { close(descriptor); throw .held(folder: folder, holder: holder) }
            FileHandle.standardError.write(Data("frugal: \(folder) is in use by \(holder); waiting for it to finish\n".utf8))
            while flock(descriptor, LOCK_EX) != 0 {
                guard errno == EINTR else { let failure = errno; close(descriptor); throw .cannotLock(lockFile, errno: failure) }
            }
        }
        if let stale = Holder(text: Self.read(descriptor)) {
            FileHandle.standardError.write(Data("frugal: taking over the stale lock of \(folder) left by \(stale), which has ended\n".utf8))
        }
        let mine = Holder(pid: getpid(), host: ProcessInfo.processInfo.hostName, command: command)
        let bytes = Array(mine.text.utf8)
        guard ftruncate(descriptor, 0) == 0, pwrite(descriptor, bytes, bytes.count, 0) == bytes.count else {
            let failure = errno
            close(descriptor)
            throw .cannotLock(lockFile, errno: failure)
        }
    }

    deinit { release() }

    /// Empties the lock file and drops the lock (also done when the object goes away or the process ends).
    public func release() {
        guard descriptor >= 0 else { return }
        _ = ftruncate(descriptor, 0)
        close(descriptor)
        descriptor = -1
    }

    /// This process's command line, for the lock file.
    public static var currentCommand: String {
        CommandLine.arguments.map { ($0 as NSString).lastPathComponent == "frugal" ? "frugal" : $0 }
            .joined(separator: " ").replacingOccurrences(of: "\n", with: " ")
    }

    private static func createFolder(_ folder: String) throws(ResultsFolderError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .notAFolder(folder) }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreate(folder, reason: (error as NSError).localizedFailureReason ?? "\(error.localizedDescription)")
        }
    }

    private static func read(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : ""
    }
}
