import Foundation
import Reports
import Testing
import TestSupport

/// Train tasks under mpirun: every layout (pipeline only, expert/data parallel only — with dp > ep the
/// data and expert-data groups each have their grad-sync op —, pipeline ×
/// expert parallel) at 1–4 ranks and every schedule the runtime runs, each step checked by rank 0
/// against the single-rank run of the same model, data and seed.
@Suite(.serialized) struct TrainRunTests {
    static let model = FileManager.default.currentDirectoryPath + "/Cluster/models/tiny-moe.toml"

    func job(_ layout: String, steps: Int = 2, globalBatch: Int = 8) -> String {
        """
        name = "train-test"
        seed = 5

        [[tasks]]
        kind = "train"
        name = "tiny"
        model = "\(Self.model)"
        steps = \(steps)
        sequenceLength = 16
        globalBatch = \(globalBatch)
        learningRate = 3e-3
        \(layout)
        """
    }

    func run(_ layout: String, ranks: Int, steps: Int = 2, globalBatch: Int = 8) throws -> [TrainStepRecord] {
        let (outcome, directory) = try MPIRunner.runJob(job(layout, steps: steps, globalBatch: globalBatch), ranks: ranks)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput.contains("verification passed"), "\(outcome.standardOutput)")
        let records = try MPIRunner.records(in: directory).compactMap { if case .train(let r) = $0 { r } else { nil } }
        #expect(records.count == ranks * steps)
        #expect(records.allSatisfy { $0.verified && $0.maxRelError <= $0.tolerance })
        try? FileManager.default.removeItem(atPath: directory)
        return records
    }

    @Test(arguments: [
        ("pp = 1", 1), ("pp = 2\nschedule = \"1f1b\"", 2), ("pp = 2\nschedule = \"zb1p\"", 2),
        ("pp = 2\nschedule = \"dualpipe\"", 2), ("pp = 3", 3), ("pp = 1\nep = 2", 2), ("pp = 1\ndp = 3", 3),
        ("pp = 2\nep = 2\nschedule = \"1f1b\"", 4), ("pp = 2\nep = 2\nschedule = \"interleaved(2)\"", 4),
        ("pp = 4\nschedule = \"dualpipe\"", 4), ("pp = 2\nep = 2\nschedule = \"dualpipe\"", 4),
        ("pp = 2\nep = 2\nschedule = \"zb1p\"", 4), ("pp = 2\nep = 2\nzero = 0", 4), ("pp = 1\ndp = 4\nep = 2", 4),
    ])
    func everyStepMatchesTheSingleRankRun(layout: String, ranks: Int) throws {
        let records = try run(layout, ranks: ranks, globalBatch: ranks == 3 ? 6 : 8)
        // Every rank reports the same loss, equal to the reference's within the tolerance.
        for step in 0..<2 {
            let losses = Set(records.filter { $0.step == step }.map(\.loss))
            #expect(losses.count == 1)
            let reference = records.first { $0.step == step }?.referenceLoss ?? 0
            #expect(abs((losses.first ?? 0) - reference) <= 1e-4 * abs(reference))
        }
        #expect(records.allSatisfy { $0.ops > 0 && $0.wallSeconds > 0 && ($0.secondsByKind["F"] ?? 0) > 0 })
    }

    @Test func expertParallelStepsTimeTheirAllToAlls() throws {
        let records = try run("pp = 1\nep = 2", ranks: 2)
        for kind in ["dispatch", "combine", "dispatch-bwd", "combine-bwd", "grad-sync", "param-gather"] {
            #expect(records.allSatisfy { ($0.secondsByKind[kind] ?? 0) > 0 }, "\(kind)")
        }
        // The wait at the grad-syncs and param-gathers for the group's last member is its own
        // kind (timed, possibly 0 s), and the kinds never add up to more than the step.
        #expect(records.allSatisfy { ($0.secondsByKind["sync-wait"] ?? -1) >= 0 })
        #expect(records.allSatisfy { $0.secondsByKind.values.reduce(0, +) <= $0.wallSeconds * (1 + 1e-9) })
    }

    /// Records of the train task in `directory`, by (step, rank).
    func trainRecords(_ directory: String) throws -> [[Int]: TrainStepRecord] {
        var result: [[Int]: TrainStepRecord] = [:]
        for case .train(let record) in try MPIRunner.records(in: directory) {
            #expect(result[[record.step, record.rank]] == nil, "step \(record.step) rank \(record.rank) recorded twice")
            result[[record.step, record.rank]] = record
        }
        return result
    }

    @Test(arguments: [("pp = 2\nschedule = \"1f1b\"", 2, 2), ("pp = 2\nep = 2\nschedule = \"dualpipe\"", 4, 3)])
    func resumeGoesOnFromTheCheckpointsToTheUninterruptedResult(layout: String, ranks: Int, failAt: Int) throws {
        let text = job(layout, steps: 4)
        let (whole, wholeDirectory) = try MPIRunner.runJob(text, ranks: ranks)
        #expect(whole.status == 0, "\(whole.standardError)")
        let (path, directory) = MPIRunner.writeJob(text)
        let failed = try MPIRunner.run(ranks: ranks, ["run", path, "--out", directory, "--fail-rank", "1", "--fail-at-step", "\(failAt)"],
                                       timeout: 60)
        #expect(failed.status != 0)
        #expect(Set(try trainRecords(directory).keys.map { $0[0] }) == Set(0..<failAt))
        let resumed = try MPIRunner.run(ranks: ranks, ["run", path, "--out", directory, "--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("verification passed"), "\(resumed.standardOutput)")
        let finished = try trainRecords(directory), expected = try trainRecords(wholeDirectory)
        #expect(finished.count == 4 * ranks && Set(finished.keys) == Set(expected.keys))
        for (key, record) in expected {
            // The same losses as the uninterrupted run: the resumed steps start from the checkpointed state.
            #expect(finished[key]?.loss == record.loss && finished[key]?.verified == true, "step \(key[0]) rank \(key[1])")
        }
        // Each rank keeps its two newest checkpoints.
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: directory + "/checkpoints")
        #expect(checkpoints.count == 2 * ranks, "\(checkpoints.sorted())")
        for folder in [directory, wholeDirectory] { try? FileManager.default.removeItem(atPath: folder) }
    }

    @Test func resumeWithoutCheckpointsSaysSo() throws {
        let text = job("pp = 2", steps: 3)
        let (path, directory) = MPIRunner.writeJob(text)
        let failed = try MPIRunner.run(ranks: 2, ["run", path, "--out", directory, "--fail-rank", "0", "--fail-at-step", "2"], timeout: 60)
        #expect(failed.status != 0)
        try FileManager.default.removeItem(atPath: directory + "/checkpoints")
        let resumed = try MPIRunner.run(ranks: 2, ["run", path, "--out", directory, "--resume"])
        #expect(resumed.status != 0)
        #expect(resumed.standardError.contains("no checkpoint at or before step 2"), "\(resumed.standardError)")
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `Cluster/jobs/train-tiny.toml` as shipped (pp = 2, 50 steps) on 2 ranks and on 4 (dp = 2,
    /// oversubscribed): every step verified against the single-rank run, and the loss falls
    /// (6.89 → last-5 mean ≈ 1.5; asserted below half the first step's for room). With dp = 2 the
    /// reference sums the gradients per replica as the run does (bit for bit: 0 error at step 49,
    /// where summing them in one sequence drifted past 1e-4 by step 41).
    @Test(arguments: [2, 4])
    func theShippedTinyJobLearns(ranks: Int) throws {
        let directory = MPIRunner.temporaryDirectory()
        let outcome = try MPIRunner.run(ranks: ranks, ["run", "Cluster/jobs/train-tiny.toml", "--out", directory], timeout: 400)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let records = try trainRecords(directory)
        #expect(records.count == 50 * ranks && records.values.allSatisfy(\.verified))
        let losses = (0..<50).compactMap { records[[$0, 0]]?.loss }
        let last5 = losses.suffix(5).reduce(0, +) / 5
        #expect(losses.count == 50 && last5 < 0.5 * losses[0], "\(losses)")
        try? FileManager.default.removeItem(atPath: directory)
    }
}
