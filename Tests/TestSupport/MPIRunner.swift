import Foundation

/// Launches the built `frugal` executable, alone or under `mpirun`, and captures what it did.
/// Tests never call MPI themselves. Shared by the test targets of the executor (RuntimeTests)
/// and of the experiments run on it (ExperimentsTests).
public struct MPIRunner {
    public struct Outcome {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
        public var seconds: Double
    }

    /// The `frugal` executable beside this test bundle in the build folder.
    public static var executable: String {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: bundle).deletingLastPathComponent()
        // The test binary lives in `…/debug/frugalPackageTests.xctest` (a file on Linux).
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("frugal").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("frugal").path
    }

    /// The package root (for `Cluster/…`).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Environment for Open MPI inside containers and as root (see docs/running-jobs.md,
    /// "Running mpirun yourself").
    public static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
        return environment
    }

    /// Runs `frugal arguments…` on `ranks` ranks (`nil`: without mpirun), killing it after `timeout`.
    public static func run(ranks: Int?, _ arguments: [String], quiet: Bool = true, timeout: Double = 240,
                    environment extra: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        if let ranks {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["mpirun"] + (quiet ? ["-q"] : []) + ["--oversubscribe", "-np", "\(ranks)", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.environment = environment.merging(extra) { $1 }
        process.currentDirectoryURL = packageRoot
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let start = Date()
        try process.run()
        // Drain both pipes while the process runs so it never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var outputData = Data(), errorData = Data()
        group.enter()
        DispatchQueue.global().async { outputData = output.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errorData = error.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            kill(-process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        group.wait()
        return Outcome(status: process.terminationStatus,
                       standardOutput: String(decoding: outputData, as: UTF8.self),
                       standardError: String(decoding: errorData, as: UTF8.self),
                       seconds: Date().timeIntervalSince(start))
    }

    /// A fresh temporary folder.
    public static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "frugal-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes `text` as `name` in a fresh temporary folder; returns the file's path and the folder.
    public static func writeJob(_ text: String, name: String = "job.toml") -> (path: String, directory: String) {
        let directory = temporaryDirectory(), path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return (path, directory)
    }
}
