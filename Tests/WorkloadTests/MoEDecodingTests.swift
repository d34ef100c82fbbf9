import Config
import Testing
@testable import Workload

/// MoE layers that cannot be placed are rejected before any rank computes, saying what works.
@Suite struct MoEDecodingTests {
    let base = "[[tasks]]\nkind = \"moe\"\ntokens = 64\nhidden = 16\nexpertFfnWidth = 8\ntopK = 2\n"

    func decode(_ text: String, ranks: Int = 4) throws(ConfigError) -> MoETask {
        let job = try Job(document: try ConfigDocument(text: text, file: "moe.toml"),
                          limits: JobLimits(ranks: ranks, availableMemoryBytes: 1 << 30))
        guard case .moe(let task) = job.tasks[0] else { fatalError("not a moe task") }
        return task
    }

    func error(_ text: String, ranks: Int = 4) -> ConfigError? {
        do { _ = try decode(text, ranks: ranks); return nil } catch { return error }
    }

    @Test func decodesEveryKey() throws {
        let task = try decode(base + "routedExperts = 8\nsharedExperts = 1\ngroups = 2\ntopkGroups = 1\ngpusPerNode = 2\n"
                              + "scoreFunction = \"softmax\"\nrouteScale = 2.5\nsteps = 3\nmicroBatches = 4\ncapacityFactor = 1.5\n"
                              + "[tasks.balance]\nmode = \"auxFree\"\nstep = 0.01\n[tasks.affinity]\nzipf = 1.2\ndrift = 0.5\n")
        #expect(task.routedExperts == 8 && task.sharedExperts == 1 && task.groups == 2 && task.gpusPerNode == 2)
        #expect(task.scoreFunction == .softmax && task.routeScale == 2.5 && task.steps == 3 && task.microBatches == 4)
        #expect(task.capacityFactor == 1.5 && task.balance == .auxFree(step: 0.01) && task.zipf == 1.2 && task.drift == 0.5)
        let expected: Double = 2 * 64 * 16 * 8 + 64 * 3 * 6 * 16 * 8
        #expect(task.flopsPerRankStep == expected)
    }

    @Test func expertsNotPlaceableOnTheRanks() {
        let error = error(base + "routedExperts = 6\n")
        #expect(error?.keyPath == "tasks[0].routedExperts")
        #expect(error?.hint?.contains("use 8 experts") == true)
    }

    @Test func topKAboveExperts() {
        #expect(error(base.replacingOccurrences(of: "topK = 2", with: "topK = 9") + "routedExperts = 8\n")?.keyPath == "tasks[0].topK")
    }

    @Test func topkGroupsAboveGroups() {
        #expect(error(base + "routedExperts = 8\ngroups = 4\ntopkGroups = 5\n")?.keyPath == "tasks[0].topkGroups")
    }

    @Test func groupsThatDoNotMatchVirtualNodes() {
        let error = error(base + "routedExperts = 8\ngroups = 4\ntopkGroups = 2\ngpusPerNode = 2\n")
        #expect(error?.keyPath == "tasks[0].groups")
        #expect(error?.hint == "set groups = 2, or groups = 1 to turn node-limited routing off")
    }

    @Test func topKBeyondTheReachableGroups() {
        #expect(error(base.replacingOccurrences(of: "topK = 2", with: "topK = 3") + "routedExperts = 8\ngroups = 4\ntopkGroups = 1\n")?.keyPath == "tasks[0].topK")
    }

    @Test func microBatchesThatDoNotDivideTokens() {
        #expect(error(base + "routedExperts = 8\nmicroBatches = 5\n")?.keyPath == "tasks[0].microBatches")
    }

    @Test func unknownBalanceModeAndKeys() {
        #expect(error(base + "routedExperts = 8\n[tasks.balance]\nmode = \"magic\"\n")?.keyPath == "tasks[0].balance.mode")
        #expect(error(base + "routedExperts = 8\nroutedExpert = 8\n")?.hint == "did you mean 'routedExperts'?")
        #expect(error(base + "routedExperts = 8\n[tasks.affinity]\nzipf = -1\n")?.keyPath == "tasks[0].affinity.zipf")
    }
}
