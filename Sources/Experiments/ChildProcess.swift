import Foundation

/// Runs a program to completion with its standard output and error going to a log file (or
/// captured), the way a sweep runs `mpirun … frugal run` and `frugal simulate`.
public enum ChildProcess {
    /// The path of the running executable (`/proc/self/exe` resolved), so sweeps run the same build.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Runs `executable arguments…`, appending its output and error to `logPath`; returns the exit status.
    /// An `executable` without a slash is looked up on `PATH` (through `/usr/bin/env`).
    public static func run(_ executable: String, _ arguments: [String], logPath: String) throws -> Int32 {
        let process = Process()
        configure(process, executable, arguments)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }
        let header = "$ " + ([executable] + arguments).joined(separator: " ") + "\n"
        log.write(Data(header.utf8))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs `executable arguments…` and returns its exit status and standard output; standard error goes to `logPath`.
    public static func capture(_ executable: String, _ arguments: [String], logPath: String) throws -> (status: Int32, output: Data) {
        let process = Process()
        configure(process, executable, arguments)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }
        log.write(Data(("$ " + ([executable] + arguments).joined(separator: " ") + "\n").utf8))
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = log
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    private static func configure(_ process: Process, _ executable: String, _ arguments: [String]) {
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
    }
}
