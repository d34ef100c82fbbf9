import Config
import Hardware
import Testing
import Workload

/// A job's emulated cluster: `[cluster]` (cluster-file key names) and the deprecated
/// `[constraints]` decode to the same ``EmulatedCluster``; bad values are refused with their place.
@Suite struct EmulatedClusterDecodingTests {
    static let task = """

        [[tasks]]
        kind = "gemm"
        name = "g"
        m = 64
        n = 64
        k = 64
        """

    static func decode(_ table: String, ranks: Int = 4) throws -> Job {
        try Job(document: ConfigDocument(text: table + task, file: "job.toml"), limits: JobLimits(ranks: ranks, availableMemoryBytes: nil))
    }

    static func error(_ table: String) -> ConfigError? {
        do { _ = try decode(table); return nil } catch let error as ConfigError { return error } catch { return nil }
    }

    static let old = """
        [constraints]
        ranksPerNode = 2
        computeScale = [1.0, 0.5, 1.0, 0.25]
        intraNodeGbPerSecond = 5
        interNodeGbPerSecond = 0.5
        """
    static let new = """
        [cluster]
        gpusPerNode = 2
        slowdown = [1, 2, 1, 4]

        [cluster.intraNode]
        gbPerSecond = 5

        [cluster.scaleOut]
        gbPerSecond = 0.5
        """

    @Test func theOldAndTheNewFormAreTheSameCluster() throws {
        let a = try #require(try Self.decode(Self.old).cluster), b = try #require(try Self.decode(Self.new).cluster)
        #expect(a == b)
        #expect(b.slowdown(of: 3) == 4 && b.gpusPerNode == 2 && b.scaleOut == LinkTier(gbPerSecond: 0.5, latencySeconds: 0))
    }

    @Test func latenciesAndOneSlowdownForEveryRank() throws {
        let c = try #require(try Self.decode("[cluster]\nslowdown = 2\n[cluster.scaleOut]\nlatencyUs = 25\n").cluster)
        #expect(c.slowdown == [2, 2, 2, 2] && abs((c.scaleOut?.latencySeconds ?? 0) - 25e-6) < 1e-18)
        #expect(c.scaleOut?.gbPerSecond == .infinity && c.intraNode == nil && !c.isUnpaced)
    }

    @Test(arguments: [
        ("[cluster]\nslowdown = 0.5\n", "slowdown"),
        ("[cluster]\nslowdown = [1, 2]\n", "slowdown"),
        ("[cluster]\ngpusPerNode = 3\n", "gpusPerNode"),
        ("[cluster]\ngpusPerNode = 0\n", "gpusPerNode"),
        ("[cluster.intraNode]\ngbPerSecond = 0\n", "gbPerSecond"),
        ("[cluster.intraNode]\ngbPerSecond = nan\n", "gbPerSecond"),
        ("[cluster.scaleOut]\nlatencyUs = -1\n", "latencyUs"),
        ("[cluster.scaleOut]\nlatencyUs = 1e9\n", "latencyUs"),
        ("[cluster.scaleOut]\nbandwidth = 1\n", "bandwidth"),
        ("[cluster]\nnodes = 1\n", "nodes"),
        (old + "\n" + new, "constraints"),
    ])
    func badValuesAreRefusedWithTheirPlace(table: String, key: String) throws {
        let error = try #require(Self.error(table), "accepted: \(table)")
        #expect(error.keyPath.contains(key), "\(error)")
        #expect(error.line != nil || key == "constraints", "\(error)")
    }
}
