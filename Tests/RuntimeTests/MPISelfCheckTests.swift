import Foundation
import Testing
import TestSupport

/// MPIKit under mpirun: `frugal check-mpi` runs every wrapped operation (point to point, every
/// collective, the non-blocking variants, split, typed errors) on known data and counts wrong
/// answers per operation; and a rank that throws mid-job ends the job instead of hanging.
@Suite(.serialized) struct MPISelfCheckTests {
    @Test(arguments: [1, 2, 3, 4])
    func everyOperationIsRightOnEveryRank(ranks: Int) throws {
        let outcome = try MPIRunner.run(ranks: ranks, ["check-mpi"])
        #expect(outcome.status == 0, "stderr: \(outcome.standardError)")
        let rows = outcome.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }
        let operations = rows.dropLast()
        #expect(operations.count >= 20)
        #expect(operations.allSatisfy { $0.hasSuffix(" 0") }, "\(outcome.standardOutput)")
        #expect(rows.last == "\(operations.count) passed, 0 failed")
    }

    @Test func aRankThatFailsEndsTheJobWithoutAHang() throws {
        let outcome = try MPIRunner.run(ranks: 3, ["check-mpi", "--fail-rank", "1"], timeout: 60)
        #expect(outcome.status == 3)
        #expect(outcome.seconds < 30)
        let messages = outcome.standardError.split(separator: "\n").filter { $0.hasPrefix("frugal: error:") }
        #expect(messages == ["frugal: error: rank 1: injected failure (--fail-rank)"], "\(outcome.standardError)")
    }
}
