import Foundation
import Reports

/// Builds a sweep folder like `frugal sweep` writes: measured GEMM points at 1, 2 and 4 ranks
/// (4 oversubscribed), an MoE run, simulated points from the JSON fixtures (shaped like
/// `frugal simulate --format json`), and predictions.
enum ReportFixture {
    static var fixtures: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures") }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "frugal-reports-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Task records of one measured run at `ranks`: each rank's wall time shrinks with the rank count.
    static func tasks(ranks: Int) -> [TaskRecord] {
        (0..<ranks).flatMap { rank in
            [("rows-512", 512), ("grid-768", 768)].enumerated().map { index, task in
                let flops = 2.0 * Double(task.1 * task.1 * task.1) / Double(ranks)
                let compute = flops / 30e9
                let comm = ranks == 1 ? 0 : 0.0004 * Double(ranks)
                return TaskRecord(job: "demo", task: task.0, taskIndex: index, kind: "gemm", rank: rank, ranks: ranks, host: "vm",
                                  m: task.1, n: task.1, k: task.1, sharding: "rows", grid: "\(ranks)x1",
                                  blockRows: [0, task.1], blockColumns: [0, task.1], repetitions: 3, seed: 42, flops: flops,
                                  computeSeconds: compute, commSeconds: comm, wallSeconds: compute + comm + 0.0001,
                                  gflops: flops / compute / 1e9, verified: true, maxAbsError: 0, maxRelError: 0, tolerance: 1e-4)
            }
        }
    }

    static func job(ranks: Int) -> JobRecord {
        JobRecord(job: "demo", jobFile: "Cluster/jobs/demo.toml", jobFileContents: "", ranks: ranks,
                  hostnames: Array(repeating: "vm", count: ranks), seed: 42, gitRevision: "unknown", buildConfiguration: "debug",
                  frugalVersion: "0.1.0", mpiLibrary: "Open MPI", startTime: "2026-11-23T12:00:00Z")
    }

    /// Writes the whole folder; `moe`, `simulated` and `predictions` can be left out.
    @discardableResult
    static func write(to path: String, moe: Bool = true, simulated: Bool = true, predictions: Bool = true) throws -> SweepFolder {
        let folder = SweepFolder(path: path)
        var entries: [SweepIndexEntry] = []
        func finish(_ point: SweepPoint, output: String) throws {
            let entry = SweepIndexEntry(point: point, status: .done, startTime: "2026-11-23T12:00:00Z", endTime: "2026-11-23T12:00:01Z",
                                        seconds: 1, output: output)
            try folder.writeMarker(entry)
            entries.append(entry)
        }
        for ranks in [1, 2, 4] {
            let point = SweepPoint(id: "run_demo_strong_r\(ranks)_rep1", mode: .measured, jobFile: "Cluster/jobs/demo.toml",
                                   scaling: .strong, ranks: ranks, repetition: 1, oversubscribed: ranks > 2, series: "demo — strong scaling")
            let log = try ResultsLog(directory: folder.pointFolder(point.id), first: .job(job(ranks: ranks)))
            try log.append(tasks(ranks: ranks).map(ResultRecord.task))
            try finish(point, output: "points/\(point.id)/results.jsonl")
        }
        if moe {
            let point = SweepPoint(id: "run_moe-layer_strong_r2_rep1", mode: .measured, jobFile: "Cluster/jobs/moe-layer.toml",
                                   scaling: .strong, ranks: 2, repetition: 1)
            try FileManager.default.createDirectory(atPath: folder.pointFolder(point.id), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent("moe-results.jsonl").path, toPath: folder.resultsPath(point.id))
            try finish(point, output: "points/\(point.id)/results.jsonl")
        }
        if simulated {
            for (file, chip, chips) in [("simulate-h800-2048.json", "H800", 2048), ("simulate-h800-4096.json", "H800", 4096),
                                        ("simulate-h20-2048.json", "H20", 2048)] {
                let point = SweepPoint(id: "sim_\(chip)_c\(chips)", mode: .simulated, cluster: "Cluster/clusters/\(chip.lowercased())-2048.toml",
                                       chipType: chip, chips: chips, model: "Cluster/models/deepseek-v3.toml",
                                       parallel: "pp=16,ep=64,dp=\(chips / 16)", schedule: "dualpipe", settings: [],
                                       series: "\(chip) pp=16,ep=64")
                try FileManager.default.createDirectory(atPath: folder.pointFolder(point.id), withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent(file).path, toPath: folder.simulationPath(point.id))
                try finish(point, output: "points/\(point.id)/simulation.json")
            }
        }
        if predictions {
            try FileManager.default.copyItem(atPath: fixtures.appendingPathComponent("predictions.jsonl").path, toPath: folder.predictionsPath)
        }
        try folder.writeIndex(entries)
        return folder
    }
}
