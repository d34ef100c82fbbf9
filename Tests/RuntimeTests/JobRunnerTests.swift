import Foundation
import Reports
import Testing
import TestSupport

/// `frugal run` end to end: mpirun on the built executable with 1–4 ranks (oversubscribed),
/// checking the records it writes and how bad input ends.
@Suite(.serialized) struct JobRunnerTests {
    /// Odd shapes: primes, a dimension smaller than the rank count, a grid on any rank count.
    static let job = """
        name = "integration"
        seed = 11

        [[tasks]]
        kind = "gemm"
        name = "rows"
        m = 37
        n = 29
        k = 41
        repeat = 2
        sharding = "rows"

        [[tasks]]
        kind = "gemm"
        name = "cols"
        m = 23
        n = 3
        k = 64
        sharding = "cols"

        [[tasks]]
        kind = "gemm"
        name = "grid"
        m = 45
        n = 38
        k = 53
        sharding = "grid"
        seed = 5
        """

    func writeJob(_ text: String) -> String { MPIRunner.writeJob(text).path }

    /// A batch whose items need 60 % of this machine's memory per rank passed the check against
    /// the whole host and then crashed both ranks allocating it; two ranks on one host each get
    /// their share now, so it is refused before any rank allocates (exit 2, naming the key).
    @Test func memoryIsSharedByTheRanksOfAHost() throws {
        let side = 27_000, physical = Double(ProcessInfo.processInfo.physicalMemory)
        let items = Int((0.6 * physical / (4 * Double(side * side))).rounded(.up))
        let shapes = Array(repeating: "[\(side), \(side), 1]", count: max(1, items)).joined(separator: ", ")
        let job = "name = \"mem\"\n[[tasks]]\nkind = \"batch\"\nname = \"big\"\npolicy = \"static\"\nshapes = [\(shapes)]\n"
        let (outcome, _) = try MPIRunner.runJob(job, ranks: 2, timeout: 120)
        #expect(outcome.status == 2, "\(outcome.status): \(outcome.standardError.suffix(600))")
        #expect(outcome.standardError.contains("tasks[0].shapes") && outcome.standardError.contains("each rank's memory"),
                "\(outcome.standardError.suffix(600))")
    }

    @Test(arguments: [1, 2, 3, 4])
    func everyRankReportsAVerifiedShard(ranks: Int) throws {
        let out = MPIRunner.temporaryDirectory()
        let outcome = try MPIRunner.run(ranks: ranks, ["run", writeJob(Self.job), "--out", out])
        #expect(outcome.status == 0, "stderr: \(outcome.standardError)")

        let lines = try String(contentsOfFile: out + "/results.jsonl", encoding: .utf8).split(separator: "\n")
        let decoder = JSONDecoder()
        let records = try lines.map { try decoder.decode(ResultRecord.self, from: Data($0.utf8)) }
        guard case .job(let jobRecord) = records.first else { Issue.record("first line is not the job record"); return }
        #expect(jobRecord.ranks == ranks && jobRecord.hostnames.count == ranks && jobRecord.seed == 11)
        #expect(jobRecord.jobFileContents == Self.job)
        #expect(jobRecord.gitRevision.count >= 7 && ["debug", "release"].contains(jobRecord.buildConfiguration))

        let tasks = records.dropFirst().compactMap { record -> TaskRecord? in
            if case .task(let task) = record { return task } else { return nil }
        }
        #expect(tasks.count == 3 * ranks)
        for name in ["rows", "cols", "grid"] {
            let rows = tasks.filter { $0.task == name }
            #expect(Set(rows.map(\.rank)) == Set(0..<ranks))
            #expect(rows.allSatisfy { $0.verified && $0.maxRelError <= $0.tolerance && $0.computeSeconds >= 0 && $0.commSeconds >= 0 })
            // The blocks tile C exactly.
            let first = rows[0]
            #expect(rows.map { ($0.blockRows[1] - $0.blockRows[0]) * ($0.blockColumns[1] - $0.blockColumns[0]) }.reduce(0, +) == first.m * first.n)
            #expect(rows.map(\.flops).reduce(0, +) == 2 * Double(first.m * first.n * first.k))
        }
        #expect(tasks.first { $0.task == "grid" }?.seed == 5)
        // The table names every rank.
        #expect(outcome.standardOutput.contains("verification passed"))
        #expect(outcome.standardOutput.split(separator: "\n").filter { $0.hasPrefix(" rows ") }.count == ranks)
    }

    @Test func runsAloneWithoutMpirun() throws {
        let outcome = try MPIRunner.run(ranks: nil, ["run", writeJob(Self.job), "--format", "json"])
        #expect(outcome.status == 0, "stderr: \(outcome.standardError)")
        let document = try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
        let tasks = document?["tasks"] as? [[String: Any]]
        #expect(tasks?.count == 3)
        #expect(tasks?.allSatisfy { $0["verified"] as? Bool == true } == true)
    }

    @Test func theDemoJobRunsOnTwoRanks() throws {
        let outcome = try MPIRunner.run(ranks: 2, ["run", "Cluster/jobs/demo.toml"])
        #expect(outcome.status == 0, "stderr: \(outcome.standardError)")
        #expect(!outcome.standardOutput.contains("FAILED"))
    }

    static let badJobs: [(name: String, text: String?, message: String)] = [
        ("missing file", nil, "expected an existing file"),
        ("syntax", "name = \"x\n", "expected valid TOML"),
        ("unknown key", "[[tasks]]\nkind = \"gemm\"\nm = 4\nn = 4\nk = 4\nsharing = \"rows\"\n", "did you mean 'sharding'?"),
        ("wrong type", "[[tasks]]\nkind = \"gemm\"\nm = \"4\"\nn = 4\nk = 4\n", "tasks[0].m: expected an integer"),
        ("negative", "[[tasks]]\nkind = \"gemm\"\nm = 4\nn = -4\nk = 4\n", "tasks[0].n: expected an integer in 1...2147483647, found -4"),
        ("too big", "[[tasks]]\nkind = \"gemm\"\nm = 46000\nn = 46000\nk = 46000\n", "fit in rank 0's memory"),
        ("grid", "[[tasks]]\nkind = \"gemm\"\nm = 4\nn = 4\nk = 4\nsharding = \"grid\"\ngrid = [3, 3]\n", "rows × columns = 2"),
    ]

    @Test(arguments: 0..<badJobs.count)
    func aBadJobEndsEveryRankWithOneMessage(index: Int) throws {
        let bad = Self.badJobs[index]
        let path = bad.text.map(writeJob) ?? "/nonexistent/job.toml"
        let outcome = try MPIRunner.run(ranks: 2, ["run", path, "--out", MPIRunner.temporaryDirectory()], timeout: 60)
        #expect(outcome.status == 2, "\(bad.name): status \(outcome.status)")
        #expect(outcome.seconds < 30, "\(bad.name): took \(outcome.seconds) s")
        let messages = outcome.standardError.split(separator: "\n").filter { $0.hasPrefix("frugal: error:") }
        #expect(messages.count == 1, "\(bad.name): \(outcome.standardError)")
        #expect(messages.first?.contains(bad.message) == true, "\(bad.name): \(outcome.standardError)")
        #expect(messages.first?.contains(path) == true)
        #expect(!outcome.standardError.contains("MPI_ABORT"))
    }

    @Test func versionNamesTheBuild() throws {
        let outcome = try MPIRunner.run(ranks: nil, ["version"])
        #expect(outcome.status == 0)
        #expect(outcome.standardOutput.hasPrefix("frugal 0."))
    }
}
