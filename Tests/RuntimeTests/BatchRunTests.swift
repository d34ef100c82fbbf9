import Foundation
import Reports
import Testing
import TestSupport

/// Batch tasks under mpirun: every policy computes every item exactly once, correctly, and
/// reports a consistent schedule.
@Suite(.serialized) struct BatchRunTests {
    static func job(policy: String) -> String {
        """
        [[tasks]]
        kind = "batch"
        name = "b"
        policy = "\(policy)"
        [tasks.generate]
        count = 19
        minSize = 8
        maxSize = 96
        skew = 1.0
        """
    }

    @Test(arguments: [("static", 2), ("lpt", 3), ("dynamic", 2), ("dynamic", 3), ("dynamic", 1)])
    func everyItemOnceAndVerified(policy: String, ranks: Int) throws {
        let (outcome, directory) = try MPIRunner.runJob(Self.job(policy: policy), ranks: ranks)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let records = try MPIRunner.batchRecords(in: directory)
        #expect(records.count == ranks)
        #expect(records.reduce(0) { $0 + $1.itemsDone } == 19)
        #expect(records.allSatisfy { $0.verified && $0.policy == policy && $0.items == 19 })
        let makespan = records[0].makespanSeconds
        #expect(records.allSatisfy { $0.makespanSeconds == makespan && $0.busySeconds <= makespan + 1e-9 })
        #expect(records[0].lowerBoundSeconds <= makespan + 1e-9 && records[0].efficiency > 0 && records[0].efficiency <= 1 + 1e-9)
    }
}
