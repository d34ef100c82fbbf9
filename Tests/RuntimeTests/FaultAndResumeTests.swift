import Foundation
import Reports
import Testing
import TestSupport

/// A rank killed mid-job ends the job within seconds, the results keep every completed step,
/// and `--resume` finishes the job with the same final result as an uninterrupted run.
@Suite(.serialized) struct FaultAndResumeTests {
    static let job = """
        name = "resume"
        seed = 21

        [[tasks]]
        kind = "gemm"
        name = "warmup"
        m = 20
        n = 20
        k = 20

        [[tasks]]
        kind = "moe"
        name = "layer"
        tokens = 32
        hidden = 16
        expertFfnWidth = 8
        routedExperts = 4
        topK = 2
        steps = 4

        [tasks.balance]
        mode = "auxFree"
        step = 0.05

        [tasks.affinity]
        zipf = 1.5
        """

    func moeRecords(_ directory: String) throws -> (records: [MoEStepRecord], lines: Int) {
        (try MPIRunner.moeRecords(in: directory), try MPIRunner.records(in: directory).count)
    }

    @Test func aFailedRankIsReportedAndResumeFinishesTheSameJob() throws {
        let (path, whole) = MPIRunner.writeJob(Self.job), broken = MPIRunner.temporaryDirectory()

        let reference = try MPIRunner.run(ranks: 2, ["run", path, "--out", whole])
        #expect(reference.status == 0, "\(reference.standardError)")

        // Step 0 is the GEMM task, steps 1–4 the MoE steps: fail at the MoE's third step.
        let failed = try MPIRunner.run(ranks: 2, ["run", path, "--out", broken, "--fail-rank", "1", "--fail-at-step", "3"], timeout: 60)
        #expect(failed.status != 0)
        #expect(failed.seconds < 30)
        let messages = failed.standardError.split(separator: "\n").filter { $0.hasPrefix("frugal: error:") }
        #expect(messages == ["frugal: error: rank 1: injected failure at step 3 (--fail-rank/--fail-at-step)"], "\(failed.standardError)")
        let partial = try moeRecords(broken)
        #expect(Set(partial.records.map(\.step)) == [0, 1])
        #expect(partial.records.count == 4)

        let resumed = try MPIRunner.run(ranks: 2, ["run", path, "--out", broken, "--resume"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("# resumed: 3 step(s) were already complete"))
        let finished = try moeRecords(broken), expected = try moeRecords(whole)
        #expect(finished.records.count == 8 && finished.lines == expected.lines)
        for step in 0..<4 {
            for rank in 0..<2 {
                let a = finished.records.first { $0.step == step && $0.rank == rank }
                let b = expected.records.first { $0.step == step && $0.rank == rank }
                #expect(a?.outputChecksum == b?.outputChecksum && a?.expertLoads == b?.expertLoads, "step \(step) rank \(rank)")
                #expect(a?.verified == true)
            }
        }
    }

    @Test func resumeRefusesAnotherJobOrRankCount() throws {
        let (path, directory) = MPIRunner.writeJob(Self.job)
        #expect(try MPIRunner.run(ranks: 2, ["run", path, "--out", directory]).status == 0)
        let wrongRanks = try MPIRunner.run(ranks: 1, ["run", path, "--out", directory, "--resume"])
        #expect(wrongRanks.status == 2 && wrongRanks.standardError.contains("run with mpirun -np 2"))
        let other = directory + "/other.toml"
        _ = FileManager.default.createFile(atPath: other, contents: Data(Self.job.replacingOccurrences(of: "seed = 21", with: "seed = 22").utf8))
        let wrongJob = try MPIRunner.run(ranks: 2, ["run", other, "--out", directory, "--resume"])
        #expect(wrongJob.status == 2 && wrongJob.standardError.contains("the same job file"))
        let nothing = try MPIRunner.run(ranks: 2, ["run", path, "--out", MPIRunner.temporaryDirectory() + "/none", "--resume"])
        #expect(nothing.status == 2)
    }
}
