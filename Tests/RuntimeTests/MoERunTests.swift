import Config
import Foundation
import Planner
import Reports
import Testing
import TestSupport
import Workload

/// Distributed MoE layers under mpirun, checked against rank 0's single-rank run of the same
/// layer and seed, in every balance mode, with node-limited routing on and off, with capacity
/// dropping and with micro-batch overlap; and the dispatch bookkeeping checked across ranks.
@Suite(.serialized) struct MoERunTests {
    func job(routedExperts experts: Int = 8, groups: Int = 1, topkGroups: Int = 1, gpusPerNode ranksPerNode: Int = 1, microBatches: Int = 1,
             balance: String = "none", balanceKeys: String = "", capacity: String = "", backward: Bool = false) -> String {
        """
        name = "moe-test"
        seed = 3

        [[tasks]]
        kind = "moe"
        name = "layer"
        tokens = 48
        hidden = 24
        expertFfnWidth = 12
        routedExperts = \(experts)
        sharedExperts = 1
        topK = 2
        groups = \(groups)
        topkGroups = \(topkGroups)
        gpusPerNode = \(ranksPerNode)
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
        checkConsistency(try run(job(routedExperts: experts), ranks: ranks), ranks: ranks)
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
        checkConsistency(try run(job(groups: 2, topkGroups: 1, gpusPerNode: 2, balance: "eplb",
                                     balanceKeys: "redundantExperts = 4\ninterval = 2"), ranks: 4), ranks: 4)
    }

    @Test(arguments: [2, 3])
    func backwardGradientsMatchTheReference(ranks: Int) throws {
        let records = try run(job(routedExperts: ranks == 3 ? 6 : 8, microBatches: 2, balance: "auxFree",
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
        let records = try run(job(groups: 2, topkGroups: 1, gpusPerNode: 2), ranks: 4)
        checkConsistency(records, ranks: 4)
    }

    @Test func capacityDropsTheOverflowTheSameWayAsTheReference() throws {
        let records = try run(job(capacity: "capacityFactor = 1.0"), ranks: 2)
        checkConsistency(records, ranks: 2)
        #expect(records.contains { $0.droppedPairs > 0 }, "skewed routing at capacity 1.0 should drop pairs")
        let mean = Double(48 * 2 * 2) / 8
        for record in records { #expect(record.expertLoads.allSatisfy { $0 >= 0 } && Double(record.rowsReceived) <= mean * 8) }
    }

    /// The prediction's dispatch (``MoEDispatchPlanner``, what `frugal run --predict` lowers) is
    /// the run's: per step, every rank's received rows, the rows it exchanges with the others,
    /// the expert loads and the dropped pairs — with skewed, drifting routing, capacity and
    /// the auxiliary-loss-free bias moving between steps.
    @Test(arguments: [2, 4])
    func thePlannedDispatchIsTheRunsDispatch(ranks: Int) throws {
        let text = job(microBatches: 2, balance: "auxFree", capacity: "capacityFactor = 1.2")
        let records = try run(text, ranks: ranks)
        checkConsistency(records, ranks: ranks)
        let directory = MPIRunner.temporaryDirectory()
        try text.write(toFile: directory + "/moe.toml", atomically: true, encoding: .utf8)
        var warnings = ConfigWarnings()
        let job = try Job(contentsOfFile: directory + "/moe.toml", limits: JobLimits(ranks: ranks, availableMemoryBytes: nil), warnings: &warnings)
        guard case .moe(let task) = try #require(job.tasks.first) else { Issue.record("not a MoE task"); return }
        var planner = try MoEDispatchPlanner(task: task, ranks: ranks)
        for step in 0..<3 {
            let dispatch = try planner.next()
            let rows = records.filter { $0.step == step }.sorted { $0.rank < $1.rank }
            #expect(dispatch.isExact)
            #expect(dispatch.ranks.map(\.rowsReceived) == rows.map(\.rowsReceived), "step \(step)")
            #expect(dispatch.loads == rows[0].expertLoads && dispatch.droppedPairs == rows[0].droppedPairs)
            let rowBytes = 24 * 4
            for (rank, record) in rows.enumerated() {
                let sent = record.bytesSentPerPeer.enumerated().reduce(0) { $0 + ($1.offset == rank ? 0 : $1.element) } / rowBytes
                #expect(dispatch.ranks[rank].rowsSentToPeers == sent)
            }
        }
    }

    @Test func aLayerThatCannotBePlacedIsRejectedOnEveryRank() throws {
        let directory = MPIRunner.temporaryDirectory()
        let path = directory + "/moe.toml"
        _ = FileManager.default.createFile(atPath: path, contents: Data(job(routedExperts: 8).utf8))
        let outcome = try MPIRunner.run(ranks: 3, ["run", path], timeout: 60)
        #expect(outcome.status == 2)
        let messages = outcome.standardError.split(separator: "\n").filter { $0.hasPrefix("frugal: error:") }
        #expect(messages.count == 1 && messages[0].contains("tasks[0].routedExperts"), "\(outcome.standardError)")
    }

    @Test func deprecatedKeysRunWithOneWarningEach() throws {
        let old = job(groups: 2, topkGroups: 1, gpusPerNode: 1)
            .replacingOccurrences(of: "routedExperts =", with: "experts =")
            .replacingOccurrences(of: "expertFfnWidth =", with: "expertHidden =")
            .replacingOccurrences(of: "gpusPerNode =", with: "ranksPerNode =")
        let (outcome, _) = try MPIRunner.runJob(old, ranks: 2)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let warnings = outcome.standardError.split(separator: "\n").filter { $0.hasPrefix("frugal: warning:") }
        #expect(warnings.count == 3, "\(outcome.standardError)")
        #expect(warnings.contains { $0.hasSuffix(":10:1: tasks[0].experts: 'experts' is deprecated, use 'routedExperts' (the old key still works for now)") },
                "\(warnings)")
    }
}
