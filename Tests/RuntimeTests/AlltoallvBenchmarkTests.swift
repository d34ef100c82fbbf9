import Foundation
import Testing
import TestSupport

/// `frugal bench alltoallv` moves every row there and back intact on both paths (alltoallv and
/// shared windows, under either synchronization), at every size and rank count.
@Suite(.serialized) struct AlltoallvBenchmarkTests {
    @Test(arguments: [(2, "barrier"), (3, "fence"), (4, "barrier")])
    func everyRowComesBackIntact(ranks: Int, sync: String) throws {
        let outcome = try MPIRunner.run(ranks: ranks, ["bench", "alltoallv", "--sizes", "4096,65536", "--hidden", "64",
                                                       "--repeat", "2", "--format", "json", "--sync", sync])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let rows = try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [[String: Any]]
        #expect(rows?.count == 2)
        #expect(rows?.allSatisfy { ($0["wrong"] as? Int) == 0 && ($0["ratio"] as? Double ?? 0) > 0 } == true)
        #expect(rows?.allSatisfy { ($0["windowRatio"] as? Double ?? 0) > 0 && ($0["windowMicroseconds"] as? Double ?? 0) > 0 } == true)
        #expect(rows?.map { $0["bytes"] as? Int } == [4096, 65536])
        // The copy-count model: n/(2n − 1) and (2n − 1)/(3n − 2): 2/3 and 3/4 at 2 ranks, 3/5 and 5/7 at 3, 4/7 and 7/10 at 4.
        let n = Double(ranks), model = (n / (2 * n - 1), (2 * n - 1) / (3 * n - 2))
        #expect(rows?.allSatisfy { abs(($0["modelRatioSingleCopy"] as? Double ?? 0) - model.0) < 1e-12 } == true)
        #expect(rows?.allSatisfy { abs(($0["modelRatioCopyInOut"] as? Double ?? 0) - model.1) < 1e-12 } == true)
        // The window path: own rows stay in place, so (n − 1)/n + 1 copies per byte round trip against 2:
        // 2 / (1/2 + 1) = 4/3 at 2 ranks, 2 / (2/3 + 1) = 6/5 at 3, 2 / (3/4 + 1) = 8/7 at 4.
        let windowModel: Double = [2: 4.0 / 3, 3: 6.0 / 5, 4: 8.0 / 7][ranks] ?? 0
        #expect(rows?.allSatisfy { abs(($0["modelWindowRatio"] as? Double ?? 0) - windowModel) < 1e-12 } == true)
    }
}
