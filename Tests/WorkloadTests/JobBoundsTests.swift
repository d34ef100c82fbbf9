import Config
import Foundation
import TestSupport
import Testing
@testable import Workload

/// Every number key of a job file, given every hostile value: one ConfigError naming the key
/// (never a trap, a hang or an accepted absurdity). Decoded as `simulate --job` decodes, with no
/// memory limit, so the bounds alone must hold.
@Suite struct JobBoundsTests {
    static let noMemory = JobLimits(ranks: 4, availableMemoryBytes: nil)
    static let anySeed: Set<String> = ["0", "9223372036854775807"]

    static func decode(_ text: String, limits: JobLimits = noMemory) -> ConfigError? {
        do {
            _ = try Job(document: try ConfigDocument(text: text, file: "job.toml"), limits: limits)
            return nil
        } catch {
            return error
        }
    }

    static func expectRejected(_ sketch: TOMLSketch, _ hostile: Hostile.Case, keyPath: String? = nil) {
        let text = sketch.setting(hostile.key, to: hostile.value)
        let error = decode(text)
        let expected = keyPath ?? TOMLSketch.keyPath(hostile.key)
        #expect(error?.keyPath.hasPrefix(expected) == true, "\(hostile): \(error.map(String.init(describing:)) ?? "accepted")")
        #expect(error?.file == "job.toml")
    }

    // MARK: gemm

    static let gemm = TOMLSketch(sections: [("", [("name", "\"j\"")]),
                                            ("[[tasks]]", [("kind", "\"gemm\""), ("m", "64"), ("n", "64"), ("k", "64")])])

    @Test(arguments: Hostile.cases(["[[tasks]]/m", "[[tasks]]/n", "[[tasks]]/k", "[[tasks]]/repeat", "[[tasks]]/tolerance",
                                    "[[tasks]]/seed", "seed"],
                                   accepting: ["[[tasks]]/seed": anySeed, "seed": anySeed]))
    func gemmKeys(hostile: Hostile.Case) {
        Self.expectRejected(Self.gemm, hostile)
    }

    @Test func gemmGridIsBoundedByTheRankCount() {
        var sketch = Self.gemm
        sketch.sections[1].keys.append(("sharding", "\"grid\""))
        let error = Self.decode(sketch.setting("[[tasks]]/grid", to: "[9223372036854775807, 2]"))
        #expect(error?.keyPath == "tasks[0].grid[0]")
    }

    // MARK: moe

    static let moe = TOMLSketch(sections: [("[[tasks]]", [("kind", "\"moe\""), ("tokens", "16"), ("hidden", "8"), ("expertFfnWidth", "8"),
                                                          ("routedExperts", "8"), ("topK", "2")])])

    @Test(arguments: Hostile.cases(["tokens", "hidden", "expertFfnWidth", "routedExperts", "topK", "groups", "topkGroups", "gpusPerNode",
                                    "routeScale", "steps", "microBatches", "capacityFactor", "tolerance", "sharedExperts", "seed"]
                                    .map { "[[tasks]]/" + $0 },
                                   accepting: ["[[tasks]]/sharedExperts": ["0"], "[[tasks]]/seed": anySeed]))
    func moeKeys(hostile: Hostile.Case) {
        Self.expectRejected(Self.moe, hostile)
    }

    @Test(arguments: Hostile.cases(["[tasks.affinity]/zipf", "[tasks.affinity]/drift"],
                                   accepting: ["[tasks.affinity]/zipf": ["0", "1e-300"], "[tasks.affinity]/drift": ["0", "-1", "1e-300"]]))
    func moeAffinityKeys(hostile: Hostile.Case) {
        Self.expectRejected(Self.moe, hostile)
    }

    @Test(arguments: Hostile.cases(["[tasks.balance]/step"]))
    func auxFreeStep(hostile: Hostile.Case) {
        var sketch = Self.moe
        sketch.sections.append(("[tasks.balance]", [("mode", "\"auxFree\"")]))
        Self.expectRejected(sketch, hostile)
    }

    @Test(arguments: Hostile.cases(["[tasks.balance]/redundantExperts", "[tasks.balance]/interval"],
                                   accepting: ["[tasks.balance]/redundantExperts": ["0"]]))
    func eplbKeys(hostile: Hostile.Case) {
        var sketch = Self.moe
        sketch.sections.append(("[tasks.balance]", [("mode", "\"eplb\""), ("redundantExperts", "4")]))
        Self.expectRejected(sketch, hostile)
    }

    @Test func moeDispatchBeyondMPICounts() {
        // 2²⁴ tokens × topK 8 × hidden 4096 floats in one rank's dispatch: far beyond an int count.
        var sketch = Self.moe
        sketch.sections[0].keys[2].1 = "4096"   // hidden
        let error = Self.decode(sketch.setting("[[tasks]]/tokens", to: "16777216"))
        #expect(error?.keyPath == "tasks[0].tokens")
        #expect(error?.expected.contains("2147483647") == true)
    }

    @Test func expertHintIsQuickForHugeExpertCounts() {
        // Used to list every divisor by trial division up to `experts` (a hang at 10¹⁵).
        #expect(Job.divisors(of: 1_000_000_000_000_001).count > 1)
        #expect(Job.divisors(of: 12) == [1, 2, 3, 4, 6, 12])
        #expect(Job.divisors(of: 49) == [1, 7, 49])
        let error = Self.decode(Self.moe.setting("[[tasks]]/routedExperts", to: "65535"))
        #expect(error?.keyPath == "tasks[0].routedExperts")
        #expect(error?.hint?.contains("run on 1, 3, 5") == true)
    }

    // MARK: batch

    static let generated = TOMLSketch(sections: [("[[tasks]]", [("kind", "\"batch\"")]),
                                                 ("[tasks.generate]", [("count", "4"), ("maxSize", "64")])])

    @Test(arguments: Hostile.cases(["[tasks.generate]/count", "[tasks.generate]/minSize", "[tasks.generate]/maxSize",
                                    "[tasks.generate]/skew", "[[tasks]]/seed"],
                                   accepting: ["[tasks.generate]/skew": ["0", "1e-300"], "[[tasks]]/seed": anySeed]))
    func batchGenerateKeys(hostile: Hostile.Case) {
        Self.expectRejected(Self.generated, hostile)
    }

    @Test(arguments: Hostile.values)
    func batchShapeElements(value: String) {
        let sketch = TOMLSketch(sections: [("[[tasks]]", [("kind", "\"batch\"")])])
        let error = Self.decode(sketch.setting("[[tasks]]/shapes", to: "[[64, 64, 64], [64, \(value), 64]]"))
        #expect(error?.keyPath == "tasks[0].shapes[1][1]", "\(value): \(error.map(String.init(describing:)) ?? "accepted")")
    }

    @Test func batchShapesBeyondMPICountsAndMemory() {
        let sketch = TOMLSketch(sections: [("[[tasks]]", [("kind", "\"batch\"")])])
        let mpi = Self.decode(sketch.setting("[[tasks]]/shapes", to: "[[8, 8, 8], [100000, 100000, 1]]"))
        #expect(mpi?.keyPath == "tasks[0].shapes")
        #expect(mpi?.found.hasSuffix("at position 1") == true)
        let limits = JobLimits(ranks: 2, availableMemoryBytes: 1 << 30)
        let memory = Self.decode(sketch.setting("[[tasks]]/shapes", to: "[[40000, 40000, 40000]]"), limits: limits)
        #expect(memory?.keyPath == "tasks[0].shapes")
        #expect(memory?.expected.contains("memory") == true)
        let many = Self.decode(Self.generated.setting("[tasks.generate]/count", to: "1048576")
            .replacingOccurrences(of: "maxSize = 64", with: "maxSize = 46340\nminSize = 46340"), limits: limits)
        #expect(many?.keyPath == "tasks[0].generate")
    }

    // MARK: constraints

    static let constrained = TOMLSketch(sections: gemm.sections + [("[constraints]", [("ranksPerNode", "2")])])

    @Test(arguments: Hostile.cases(["[constraints]/computeScale", "[constraints]/ranksPerNode",
                                    "[constraints]/intraNodeGbPerSecond", "[constraints]/interNodeGbPerSecond"]))
    func constraintKeys(hostile: Hostile.Case) {
        Self.expectRejected(Self.constrained, hostile)
    }

    static let emulated = TOMLSketch(sections: gemm.sections + [("[cluster]", [("gpusPerNode", "2"), ("slowdown", "2")]),
                                                                ("[cluster.intraNode]", [("gbPerSecond", "10"), ("latencyUs", "5")]),
                                                                ("[cluster.scaleOut]", [("gbPerSecond", "1"), ("latencyUs", "20")])])

    // Latencies accept 0 (and so the hostile tiny values): ConstraintsDecodingTests refuses theirs.
    @Test(arguments: Hostile.cases(["[cluster]/gpusPerNode", "[cluster]/slowdown", "[cluster.intraNode]/gbPerSecond",
                                    "[cluster.scaleOut]/gbPerSecond"]))
    func emulatedClusterKeys(hostile: Hostile.Case) {
        Self.expectRejected(Self.emulated, hostile)
    }

    @Test(arguments: Hostile.values)
    func computeScaleListElements(value: String) {
        let error = Self.decode(Self.constrained.setting("[constraints]/computeScale", to: "[1.0, \(value), 1.0, 1.0]"))
        #expect(error?.keyPath == "constraints.computeScale[1]", "\(value): \(error.map(String.init(describing:)) ?? "accepted")")
    }

    @Test(arguments: [0, -1, Int.max])
    func rankCountsOutsideTheBound(ranks: Int) {
        let error = Self.decode(Self.moe.setting("[[tasks]]/experts", to: "7"), limits: JobLimits(ranks: ranks, availableMemoryBytes: nil))
        #expect(error?.expected == "a rank count in 1...16777216")
    }

    @Test func boundErrorsCarryTheLine() {
        let error = Self.decode(Self.constrained.setting("[constraints]/interNodeGbPerSecond", to: "1e-300"))
        #expect(error?.description == "job.toml:11:1: constraints.interNodeGbPerSecond: expected a number in 0.001...1000000, found 1e-300")
    }
}
