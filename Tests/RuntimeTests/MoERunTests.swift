import Foundation
import Reports
import Testing
import TestSupport

/// Distributed MoE layers under mpirun, checked against rank 0's single-rank run of the same
/// layer and seed, in every balance mode, with node-limited routing on and off, with capacity
/// dropping and with micro-batch overlap; and the dispatch bookkeeping checked across ranks.
@Suite(.serialized) struct MoERunTests {
    func job(experts: Int = 8, groups: Int = 1, topkGroups: Int = 1, ranksPerNode: Int = 1, microBatches: Int = 1,
             balance: String = "none", balanceKeys: String = "", capacity: String = "", backward: Bool = false) -> String {
        """
        name = "moe-test"
        seed = 3

        [[tasks]]
        kind = "moe"
        name = "layer"
        tokens = 48
        hidden = 24
        expertHidden = 12
        experts = \(experts)
        sharedExperts = 1
        topK = 2
        groups = \(groups)
        topkGroups = \(topkGroups)
        ranksPerNode = \(ranksPerNode)
        routeScale = 2.5
        steps = 3
        microBatches = \(microBatches)
        backward = \(backward)
        \(capacity)

        [tasks.balance]
        mode = "\(balance)"
        \(balanceKeys)

        [tasks.affinity]
        zipf = 1.0
        drift = 0.34
        """
    }

    func run(_ text: String, ranks: Int) throws -> [MoEStepRecord] {
        let (outcome, directory) = try MPIRunner.runJob(text, ranks: ranks)
        #expect(outcome.status == 0, "stderr: \(outcome.standardError)\nstdout: \(outcome.standardOutput)")
        return try MPIRunner.moeRecords(in: directory)
    }

    /// What must hold for any MoE run: every rank and step reported and verified; every
    /// dispatched row received exactly once; the loads sum to tokens × ranks × topK.
    func checkConsistency(_ records: [MoEStepRecord], ranks: Int, steps: Int = 3) {
        #expect(records.count == ranks * steps)
        #expect(records.allSatisfy { $0.verified && $0.maxRelError <= $0.tolerance }, "\(records.map(\.maxRelError))")
        for step in 0..<steps {
            let rows = records.filter { $0.step == step }.sorted { $0.rank < $1.rank }
            #expect(rows.map(\.rank) == Array(0..<ranks))
            for sender in 0..<ranks {
                for receiver in 0..<ranks {
                    #expect(rows[sender].bytesSentPerPeer[receiver] == rows[receiver].bytesReceivedPerPeer[sender])
                }
            }
            let loads = rows[0].expertLoads
            #expect(rows.allSatisfy { $0.expertLoads == loads })
            #expect(loads.reduce(0, +) == 48 * ranks * 2)
            let rowBytes = 24 * 4
            let receivedRows = rows.map { $0.bytesReceivedPerPeer.reduce(0, +) / rowBytes }
            #expect(receivedRows == rows.map(\.rowsReceived))
            #expect(receivedRows.reduce(0, +) == loads.reduce(0, +) - rows[0].droppedPairs)
        }
    }

    @Test(arguments: [2, 3, 4])
    func verifiedWithoutBalancing(ranks: Int) throws {
        let experts = ranks == 3 ? 6 : 8
        checkConsistency(try run(job(experts: experts), ranks: ranks), ranks: ranks)
    }

    @Test(arguments: [2, 4])
    func verifiedWithAuxFreeBalancingAndOverlap(ranks: Int) throws {
        let records = try run(job(microBatches: 2, balance: "auxFree"), ranks: ranks)
        checkConsistency(records, ranks: ranks)
        #expect(records.allSatisfy { $0.microBatches == 2 && $0.balance == "auxFree" })
    }

    @Test(arguments: [2, 4])
    func verifiedWithEPLBReplicasAndBetterBalance(ranks: Int) throws {
        let eplb = try run(job(balance: "eplb", balanceKeys: "redundantExperts = \(ranks)\ninterval = 1"), ranks: ranks)
        checkConsistency(eplb, ranks: ranks)
        let plain = try run(job(), ranks: ranks)
        // After the first placement from measured loads, the busiest rank does less work.
        let later = { (records: [MoEStepRecord]) in records.filter { $0.step > 0 }.map(\.imbalance).max() ?? 0 }
        #expect(later(eplb) < later(plain), "eplb \(later(eplb)) vs none \(later(plain))")
    }

    @Test func verifiedWithNodeLimitedRoutingAndHierarchicalEPLB() throws {
        checkConsistency(try run(job(groups: 2, topkGroups: 1, ranksPerNode: 2, balance: "eplb",
                                     balanceKeys: "redundantExperts = 4\ninterval = 2"), ranks: 4), ranks: 4)
    }

    @Test(arguments: [2, 3])
    func backwardGradientsMatchTheReference(ranks: Int) throws {
        let records = try run(job(experts: ranks == 3 ? 6 : 8, microBatches: 2, balance: "auxFree",
                                  capacity: "capacityFactor = 1.5", backward: true), ranks: ranks)
        checkConsistency(records, ranks: ranks)
        #expect(records.allSatisfy { $0.backward })
    }

    @Test func backwardWithEPLBReplicas() throws {
        checkConsistency(try run(job(balance: "eplb", balanceKeys: "redundantExperts = 2\ninterval = 1", backward: true), ranks: 2),
                         ranks: 2)
    }

    @Test func verifiedWithNodeLimitedRouting() throws {
        // 4 ranks in 2 virtual nodes of 2, each token limited to 1 node (group = node:
        // ExpertPlacementTests); the outputs still match the reference.
        let records = try run(job(groups: 2, topkGroups: 1, ranksPerNode: 2), ranks: 4)
        checkConsistency(records, ranks: 4)
    }

    @Test func capacityDropsTheOverflowTheSameWayAsTheReference() throws {
        let records = try run(job(capacity: "capacityFactor = 1.0"), ranks: 2)
        checkConsistency(records, ranks: 2)
        #expect(records.contains { $0.droppedPairs > 0 }, "skewed routing at capacity 1.0 should drop pairs")
        let mean = Double(48 * 2 * 2) / 8
        for record in records { #expect(record.expertLoads.allSatisfy { $0 >= 0 } && Double(record.rowsReceived) <= mean * 8) }
    }

    @Test func aLayerThatCannotBePlacedIsRejectedOnEveryRank() throws {
        let directory = MPIRunner.temporaryDirectory()
        let path = directory + "/moe.toml"
        _ = FileManager.default.createFile(atPath: path, contents: Data(job(experts: 8).utf8))
        let outcome = try MPIRunner.run(ranks: 3, ["run", path], timeout: 60)
        #expect(outcome.status == 2)
        let messages = outcome.standardError.split(separator: "\n").filter { $0.hasPrefix("frugal: error:") }
        #expect(messages.count == 1 && messages[0].contains("tasks[0].experts"), "\(outcome.standardError)")
    }
}
