import Config
import Foundation
import Planner
import Reports
import Testing
import TestSupport
import Workload

/// The MoE task on every transport: the window transport (rows written straight into the
/// receivers' shared-window regions), the hierarchical one (once per destination node over MPI,
/// then through the node's windows) and alltoallv give bit-identical outputs — the same
/// checksum of every rank's outputs, step by step, and the same error against the single-rank
/// reference (input gradients included with `backward`) — on 2, 3 and 4 ranks, in every
/// balance mode, with node-limited routing on and off, in virtual nodes of 1 and 2 ranks; and
/// every record says which transport ran.
@Suite(.serialized) struct MoETransportTests {
    /// One configuration of the layer and the emulated cluster.
    struct Case: CustomStringConvertible, Sendable {
        var ranks: Int
        var balance = "none"
        var balanceKeys = ""
        /// Node-limited routing: groups = nodes, a token limited to `topkGroups` of them.
        var limited = false
        /// Ranks per virtual node (`[cluster] gpusPerNode` and the task's).
        var nodeRanks = 1
        var microBatches = 1
        var backward = false
        var capacity = ""

        var description: String {
            "\(ranks) ranks, \(balance), limits \(limited ? "on" : "off"), nodes of \(nodeRanks), m=\(microBatches)\(backward ? ", backward" : "")"
        }

        func job(transport: String) -> String {
            let experts = ranks == 3 ? 6 : 8, nodes = ranks / nodeRanks
            return """
            name = "moe-transport"
            seed = 5

            [cluster]
            gpusPerNode = \(nodeRanks)

            [[tasks]]
            kind = "moe"
            name = "layer"
            tokens = 48
            hidden = 24
            expertFfnWidth = 12
            routedExperts = \(experts)
            sharedExperts = 1
            topK = 3
            groups = \(limited ? nodes : 1)
            topkGroups = \(limited ? (nodes + 1) / 2 : 1)
            gpusPerNode = \(nodeRanks)
            routeScale = 2.5
            steps = 3
            microBatches = \(microBatches)
            backward = \(backward)
            transport = "\(transport)"
            \(capacity)

            [tasks.balance]
            mode = "\(balance)"
            \(balanceKeys)

            [tasks.affinity]
            zipf = 1.0
            drift = 0.34
            """
        }
    }

    static let cases: [Case] = [
        Case(ranks: 2),
        Case(ranks: 2, balance: "eplb", balanceKeys: "redundantExperts = 2\ninterval = 1", backward: true),
        Case(ranks: 3, balance: "auxFree", microBatches: 2, backward: true, capacity: "capacityFactor = 1.5"),
        Case(ranks: 3, limited: true),
        Case(ranks: 4, balance: "auxFree", limited: true, nodeRanks: 2, microBatches: 2),
        Case(ranks: 4, balance: "eplb", balanceKeys: "redundantExperts = 4\ninterval = 2", nodeRanks: 2, backward: true),
        Case(ranks: 4, limited: true, nodeRanks: 1),
        Case(ranks: 4, balance: "none", nodeRanks: 2, capacity: "capacityFactor = 1.0"),
    ]

    func run(_ text: String, ranks: Int) throws -> [MoEStepRecord] {
        let (outcome, directory) = try MPIRunner.runJob(text, ranks: ranks)
        #expect(outcome.status == 0, "stderr: \(outcome.standardError)\nstdout: \(outcome.standardOutput)")
        return try MPIRunner.moeRecords(in: directory).sorted { ($0.step, $0.rank) < ($1.step, $1.rank) }
    }

    @Test(arguments: cases)
    func everyTransportGivesBitIdenticalOutputs(_ configuration: Case) throws {
        let reference = try run(configuration.job(transport: "alltoallv"), ranks: configuration.ranks)
        #expect(reference.count == configuration.ranks * 3)
        #expect(reference.allSatisfy { $0.transport == "alltoallv" && $0.verified })
        let multiNode = configuration.nodeRanks < configuration.ranks
        for transport in ["window", "hierarchical", "auto"] {
            let records = try run(configuration.job(transport: transport), ranks: configuration.ranks)
            let expected = transport == "window" ? "window" : multiNode ? "hierarchical" : "window"
            #expect(records.allSatisfy { $0.transport == expected }, "\(transport): \(records.map(\.transport))")
            #expect(records.map(\.outputChecksum) == reference.map(\.outputChecksum), "\(transport)")
            #expect(records.map(\.maxAbsError) == reference.map(\.maxAbsError), "\(transport)")
            #expect(records.map(\.expertLoads) == reference.map(\.expertLoads) && records.map(\.rowsReceived) == reference.map(\.rowsReceived))
            #expect(records.allSatisfy { $0.verified })
        }
    }
}

/// The inter-node bytes of every record are the routing model's (``MoEDispatchPlanner`` with the
/// job's virtual nodes): on the hierarchical transport a token's row crosses once per other node
/// it reaches, on the flat ones once per pair; fewer on hierarchical whenever a token has two
/// experts on one other node.
@Suite(.serialized) struct MoEInterNodeBytesTests {
    @Test(arguments: ["hierarchical", "window", "alltoallv"])
    func interNodeBytesAreThePlannersCount(transport: String) throws {
        let configuration = MoETransportTests.Case(ranks: 4, balance: "auxFree", nodeRanks: 2, microBatches: 2)
        let text = configuration.job(transport: transport)
        let (outcome, directory) = try MPIRunner.runJob(text, ranks: 4)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let records = try MPIRunner.moeRecords(in: directory)
        #expect(records.count == 12 && records.allSatisfy { $0.transport == transport })
        var warnings = ConfigWarnings()
        let job = try Job(contentsOfFile: MPIRunner.writeJob(text).path, limits: JobLimits(ranks: 4, availableMemoryBytes: nil), warnings: &warnings)
        guard case .moe(let task) = try #require(job.tasks.first) else { Issue.record("not a MoE task"); return }
        var planner = try MoEDispatchPlanner(task: task, ranks: 4)
        planner.nodeRanks = 2
        var crossingRows = 0, crossingPairs = 0
        for step in 0..<3 {
            let dispatch = try planner.next()
            for rank in 0..<4 {
                let record = try #require(records.first { $0.step == step && $0.rank == rank })
                let rows = transport == "hierarchical" ? dispatch.ranks[rank].rowsSentToOtherNodes : dispatch.ranks[rank].pairsSentToOtherNodes
                #expect(record.interNodeBytesSent == rows * 24 * 4, "step \(step) rank \(rank)")
                crossingRows += dispatch.ranks[rank].rowsSentToOtherNodes
                crossingPairs += dispatch.ranks[rank].pairsSentToOtherNodes
            }
        }
        #expect(crossingRows < crossingPairs, "top-3 of 8 experts on 2 nodes: some token has two experts on the other node")
    }
}
