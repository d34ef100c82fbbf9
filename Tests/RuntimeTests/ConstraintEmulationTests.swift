import Foundation
import Reports
import Testing

/// Pacing can only slow a rank down, so its effects have hard lower bounds that hold however
/// noisy the machine: a capped link makes each blocked transfer last at least bytes / cap, and a
/// rank at scale s computes for at least 1/s of its own work.
@Suite(.serialized) struct ConstraintEmulationTests {
    static func job(constraints: String) -> String {
        """
        \(constraints)

        [[tasks]]
        kind = "moe"
        name = "layer"
        tokens = 64
        hidden = 64
        expertHidden = 32
        experts = 4
        topK = 2
        steps = 2
        """
    }

    func run(_ text: String, ranks: Int) throws -> [MoEStepRecord] {
        let (outcome, directory) = try MPIRunner.runJob(text, ranks: ranks)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        return try MPIRunner.moeRecords(in: directory)
    }

    @Test func cappedLinksHoldEveryTransferToBytesOverCap() throws {
        // 4 ranks, virtual nodes of 2; 0.01 GB/s between nodes, 0.05 GB/s inside.
        let records = try run(Self.job(constraints: """
            [constraints]
            ranksPerNode = 2
            intraNodeGbPerSecond = 0.05
            interNodeGbPerSecond = 0.01
            """), ranks: 4)
        #expect(records.count == 8 && records.allSatisfy { $0.verified })
        for record in records {
            func seconds(_ bytes: [Int]) -> Double {
                var intra = 0.0, inter = 0.0
                for peer in bytes.indices where peer != record.rank {
                    if peer / 2 == record.rank / 2 { intra += Double(bytes[peer]) } else { inter += Double(bytes[peer]) }
                }
                return max(intra / 0.05e9, inter / 0.01e9)
            }
            let dispatch = max(seconds(record.bytesSentPerPeer), seconds(record.bytesReceivedPerPeer))
            #expect(record.dispatchSeconds >= dispatch * 0.999, "rank \(record.rank): \(record.dispatchSeconds) < \(dispatch)")
            #expect(record.combineSeconds >= dispatch * 0.999)
            #expect(dispatch > 0.001, "the caps must bind for this test to mean anything")
        }
    }

    /// GEMM tasks' collectives are paced as direct exchanges. Every rank is its own virtual node
    /// at 0.01 GB/s; m = n = k = 128, so a 64 × 64 float block ("slice", 16 KiB) takes 1.64 ms.
    /// Rows on 2 ranks: all-gather of B (2 slices each way) + gather of C (2 slices) = 4 slices
    /// per rank. SUMMA on 2 × 2, two k panels: the rank owning a panel's A and B sends 2 slices,
    /// a rank owning neither receives 2, the others send 1 and receive 1; rank 0 then receives
    /// 3 slices of C, the others send 1: ranks 0–3 need 7, 3, 3, 5 slices.
    @Test(arguments: [("rows", 2, [4, 4]), ("grid", 4, [7, 3, 3, 5])])
    func cappedLinksHoldGemmCollectives(sharding: String, ranks: Int, slices: [Int]) throws {
        let (outcome, directory) = try MPIRunner.runJob("""
            [constraints]
            ranksPerNode = 1
            interNodeGbPerSecond = 0.01

            [[tasks]]
            kind = "gemm"
            name = "paced"
            m = 128
            n = 128
            k = 128
            repeat = 1
            sharding = "\(sharding)"
            """, ranks: ranks)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let records = try MPIRunner.records(in: directory).compactMap { if case .task(let record) = $0 { record } else { nil } }
        #expect(records.count == ranks && records.allSatisfy(\.verified))
        let slice = 64.0 * 64 * 4 / 0.01e9
        for record in records {
            let bound = Double(slices[record.rank]) * slice
            #expect(record.commSeconds >= bound * 0.999, "rank \(record.rank): \(record.commSeconds) < \(bound)")
        }
    }

    @Test func aSlowRankComputesLonger() throws {
        let plain = try run(Self.job(constraints: ""), ranks: 2)
        let slowed = try run(Self.job(constraints: "[constraints]\ncomputeScale = [1.0, 0.2]"), ranks: 2)
        #expect(slowed.allSatisfy { $0.verified })
        let plainCompute = plain.filter { $0.rank == 1 }.map(\.computeSeconds).min()!
        let slowCompute = slowed.filter { $0.rank == 1 }.map(\.computeSeconds).min()!
        #expect(slowCompute >= 2 * plainCompute, "scale 0.2 should at least double compute: \(slowCompute) vs \(plainCompute)")
    }

    @Test func constraintErrors() throws {
        let directory = MPIRunner.temporaryDirectory()
        let path = directory + "/job.toml"
        _ = FileManager.default.createFile(atPath: path, contents: Data(Self.job(constraints: "[constraints]\ncomputeScale = [1.0, 0.5, 0.5]").utf8))
        let outcome = try MPIRunner.run(ranks: 2, ["run", path])
        #expect(outcome.status == 2 && outcome.standardError.contains("constraints.computeScale: expected one scale per rank (2)"))
    }
}
