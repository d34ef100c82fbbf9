import Config
import Foundation
import Reports
import Workload

/// Runs sweep points into one folder (layout: ``SweepFolder``), one child process per point.
///
/// A point is finished when its marker `points/<id>/done.json` exists; the marker is written
/// atomically only after the point's output is checked complete (every task on every rank for
/// a measured run; a decodable JSON result for a simulation). A rerun of the same sweep skips
/// finished points and reruns the rest from a clean point folder. `sweep.jsonl` is rewritten
/// atomically after every point and keeps the entries of earlier sweeps into the same folder.
///
/// A sweep holds the folder's lock (``FolderLock``) from start to end: a second sweep into the
/// same folder says whom it waits for and starts when the first ends (then reading the index
/// the first left), so concurrent sweeps all finish and every entry is kept; a `frugal run
/// --out` into the folder meanwhile is refused.
public struct SweepRunner {
    public var folder: SweepFolder
    /// The `frugal` executable the points run (by default this one).
    public var executable: String
    /// The executable simulated points run as `SIMULATOR simulate …` instead of this one (tests; another build).
    public var simulator: String?
    /// The simulated sweep, for the arguments of its points.
    public var simulatedSweep: SimulatedSweep?
    /// `mpirun` (looked up on PATH).
    public var mpirun: String

    public init(folder: String, executable: String = ChildProcess.currentExecutable, simulator: String? = nil,
                simulatedSweep: SimulatedSweep? = nil, mpirun: String = "mpirun") {
        self.folder = SweepFolder(path: folder)
        self.executable = executable
        self.simulator = simulator
        self.simulatedSweep = simulatedSweep
        self.mpirun = mpirun
    }

    /// How a sweep went.
    public struct Summary: Sendable {
        public var ran: [String] = []
        public var skipped: [String] = []
        public var failed: [String] = []
    }

    /// Runs every point of `points` that has not finished. Throws only when the folder cannot be
    /// locked (``ResultsFolderError``: a file, not a folder) or written.
    public func run(_ points: [SweepPoint], progress: SweepProgress? = nil) throws -> Summary {
        var summary = Summary()
        let lock = try FolderLock.lock(folder: folder.path, contention: .wait)
        defer { lock.release() }
        var (entries, _) = folder.readIndex()
        func update(_ entry: SweepIndexEntry) throws {
            if let index = entries.firstIndex(where: { $0.point.id == entry.point.id }) {
                entries[index] = entry
            } else {
                entries.append(entry)
            }
            try folder.writeIndex(entries)
        }
        var pending: [SweepPoint] = []
        for point in points {
            if let marker = folder.marker(point.id) {
                try update(marker)
                summary.skipped.append(point.id)
                progress?.skip()
            } else {
                try update(SweepIndexEntry(point: point, status: .pending))
                pending.append(point)
            }
        }
        for point in pending {
            progress?.starting(point.id)
            let start = Date()
            let startTime = Self.timestamp(start)
            var entry: SweepIndexEntry
            do {
                try? FileManager.default.removeItem(atPath: folder.pointFolder(point.id))
                try FileManager.default.createDirectory(atPath: folder.pointFolder(point.id), withIntermediateDirectories: true)
                let (ranPoint, output) = try runPoint(point)
                let end = Date()
                entry = SweepIndexEntry(point: ranPoint, status: .done, startTime: startTime, endTime: Self.timestamp(end),
                                        seconds: end.timeIntervalSince(start), output: output)
                try folder.writeMarker(entry)
                summary.ran.append(point.id)
            } catch {
                let end = Date()
                entry = SweepIndexEntry(point: point, status: .failed, startTime: startTime, endTime: Self.timestamp(end),
                                        seconds: end.timeIntervalSince(start), message: "\(error)")
                summary.failed.append(point.id)
            }
            try update(entry)
            progress?.finished(seconds: entry.seconds ?? 0, ok: entry.status == .done)
        }
        progress?.end()
        return summary
    }

    /// A point that did not complete.
    public struct PointFailure: Error, CustomStringConvertible {
        public var description: String
    }

    private func runPoint(_ point: SweepPoint) throws -> (SweepPoint, String) {
        switch point.mode {
        case .measured: return try runMeasured(point)
        case .simulated: return try runSimulated(point)
        }
    }

    private func runMeasured(_ point: SweepPoint) throws -> (SweepPoint, String) {
        var point = point
        guard let jobFile = point.jobFile, let ranks = point.ranks else { throw PointFailure(description: "a measured point needs a job file and ranks") }
        var runJob = jobFile
        if point.scaling == .weak && ranks > 1 {
            let text = try String(contentsOfFile: jobFile, encoding: .utf8)
            runJob = (folder.pointFolder(point.id) as NSString).appendingPathComponent("job.toml")
            try AtomicFile.write(try WeakScalingJob.scaled(text, path: jobFile, factor: ranks), to: runJob)
        }
        point.runJobFile = runJob
        var arguments: [String] = []
        if getuid() == 0 { arguments.append("--allow-run-as-root") }
        if point.oversubscribed { arguments.append("--oversubscribe") }
        arguments += ["-np", "\(ranks)", executable, "run", runJob, "--out", folder.pointFolder(point.id)]
        let status = try ChildProcess.run(mpirun, arguments, logPath: folder.logPath(point.id))
        guard status == 0 else {
            throw PointFailure(description: "mpirun exited with status \(status); see \(folder.logPath(point.id))")
        }
        // Complete: every task has a record from every rank.
        let job = try Job(document: ConfigDocument(contentsOfFile: runJob), limits: JobLimits(ranks: ranks, availableMemoryBytes: nil))
        let (records, problems) = try ResultsLog.read(path: folder.resultsPath(point.id))
        // One record per rank per step: a GEMM or batch task is one step, a MoE task `steps`.
        let done = records.filter { record in
            switch record {
            case .task, .moe, .batch, .train: return true
            case .job, .unknown: return false
            }
        }.count
        let expected = job.tasks.reduce(0) { $0 + $1.steps } * ranks
        guard problems.isEmpty, done == expected else {
            throw PointFailure(description: "\(folder.resultsPath(point.id)) is incomplete: \(done) of \(expected) task and step records")
        }
        return (point, "points/\(point.id)/results.jsonl")
    }

    private func runSimulated(_ point: SweepPoint) throws -> (SweepPoint, String) {
        var point = point
        // A chip count other than the cluster file's: simulate a resized copy.
        if let cluster = point.cluster, let chips = point.chips, let text = try? String(contentsOfFile: cluster, encoding: .utf8) {
            let size = ClusterFileSize(text: text)
            if let gpus = size.gpus, let perNode = size.gpusPerNode, gpus != chips {
                guard chips % perNode == 0, let resized = ClusterFileSize.resized(text, nodes: chips / perNode) else {
                    throw PointFailure(description: "\(cluster): cannot resize to \(chips) chips (\(perNode) GPUs per node)")
                }
                let copy = (folder.pointFolder(point.id) as NSString).appendingPathComponent("cluster.toml")
                try AtomicFile.write(resized, to: copy)
                point.runCluster = copy
            }
        }
        let sweep = simulatedSweep ?? SimulatedSweep(clusters: [], model: point.model ?? "", chips: [], parallel: [], schedule: nil, variants: [])
        let arguments = sweep.arguments(for: point)
        let program = simulator ?? executable
        var (status, output) = try ChildProcess.capture(program, arguments, logPath: folder.logPath(point.id))
        if point.parallel == SimulatedSweep.planTemplate {
            let best = try SimulatedSweep.bestPlanned(status: status, output: output, log: folder.logPath(point.id))
            point.plannedParallel = best.config
            (status, output) = (0, best.simulation)
        }
        if let failure = SimulatedSweep.failure(status: status, output: output, log: folder.logPath(point.id)) {
            throw PointFailure(description: failure)
        }
        try AtomicFile.write(output, to: folder.simulationPath(point.id))
        return (point, "points/\(point.id)/simulation.json")
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
