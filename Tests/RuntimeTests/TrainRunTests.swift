import Foundation
import Reports
import Testing
import TestSupport

/// Train tasks under mpirun: every layout (pipeline only, expert/data parallel only, pipeline ×
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
        return records
    }

    @Test(arguments: [
        ("pp = 1", 1), ("pp = 2\nschedule = \"1f1b\"", 2), ("pp = 2\nschedule = \"zb1p\"", 2),
        ("pp = 2\nschedule = \"dualpipe\"", 2), ("pp = 3", 3), ("pp = 1\nep = 2", 2), ("pp = 1\ndp = 3", 3),
        ("pp = 2\nep = 2\nschedule = \"1f1b\"", 4), ("pp = 2\nep = 2\nschedule = \"interleaved(2)\"", 4),
        ("pp = 4\nschedule = \"dualpipe\"", 4), ("pp = 2\nep = 2\nschedule = \"dualpipe\"", 4),
        ("pp = 2\nep = 2\nschedule = \"zb1p\"", 4), ("pp = 2\nep = 2\nzero = 0", 4),
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
    }
}
