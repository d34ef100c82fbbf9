import Hardware
import Program
import Simulator
import Testing
import Workload

/// Identical data-parallel replicas simulated once give the unfolded step: the step and every
/// breakdown part within 1e-9 relative, for every schedule, ZeRO stage, expert load, node size
/// and straggler kind; where ranks differ the fold is refused.
@Suite struct RankFoldTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var tp = 1, pp = 2, ep = 4, dp = 16, gpusPerNode = 8
        var schedule = PipelineScheduleKind.oneFOneB, virtualStages = 1, zero = 1, microBatches = 4
        var load = ExpertLoadModel.uniform
        var stragglers = StragglerModel()
        /// Whether the fold applies (ranks simulated fewer than the GPUs).
        var folds = true
        var testDescription: String { "tp\(tp) pp\(pp) ep\(ep) dp\(dp) /\(gpusPerNode) \(schedule) z\(zero) \(load) \(stragglers.slowRanks)" }
    }

    static let cases: [Case] = [
        Case(),
        Case(tp: 2, pp: 2, ep: 4, dp: 8, schedule: .interleaved, virtualStages: 2),
        Case(pp: 4, ep: 2, dp: 8, schedule: .zb1p, zero: 0),
        Case(pp: 2, ep: 8, dp: 16, schedule: .dualpipe, zero: 3),
        Case(tp: 2, pp: 1, ep: 8, dp: 16, zero: 2),
        Case(pp: 2, ep: 4, dp: 16, load: .zipf(exponent: 1.2)),
        Case(tp: 2, pp: 2, ep: 2, dp: 12, gpusPerNode: 6),
        Case(pp: 4, ep: 2, dp: 6, gpusPerNode: 4, schedule: .dualpipe, microBatches: 8),
        Case(stragglers: StragglerModel(slowRanks: [3], slowdown: 1.5)),                 // its unit is a class of its own
        Case(tp: 2, pp: 2, ep: 2, dp: 16, stragglers: StragglerModel(slowRanks: [5, 40], slowdown: 1.3), folds: true),
        Case(stragglers: StragglerModel(logNormalSigma: 0.05), folds: false),
        Case(pp: 2, ep: 16, dp: 16, load: .zipf(exponent: 1.2), folds: false),
        Case(pp: 2, ep: 16, dp: 16),
    ]

    @Test(arguments: cases)
    func theFoldedStepIsTheUnfoldedStep(_ c: Case) throws {
        var cluster = try PlanSearchTests.cluster(nodes: 1)
        cluster.gpusPerNode = c.gpusPerNode
        cluster.nodes = c.tp * c.pp * c.dp / c.gpusPerNode
        var setup = PlanSearchTests.base(globalBatch: c.microBatches * c.dp)
        setup.tp = c.tp; setup.pp = c.pp; setup.ep = c.ep; setup.dp = c.dp
        setup.schedule = c.schedule; setup.virtualStages = c.virtualStages; setup.zeroStage = c.zero
        setup.expertLoad = c.load; setup.stragglers = c.stragglers
        let simulator = TrainingSimulator(model: PlanSearchTests.tinyMoEModel(), setup: setup, cluster: cluster)
        let folded = try simulator.run().result, full = try simulator.run(fold: false).result
        #expect(full.ranksRun == cluster.gpuCount && folded.ranksSimulated == cluster.gpuCount)
        #expect((folded.ranksRun < cluster.gpuCount) == c.folds)
        // At uniform expert load and no straggler every expert-parallel index is alike: one column per tensor-parallel index.
        if c.folds, case .uniform = c.load, c.stragglers.slowRanks.isEmpty { #expect(folded.ranksRun == c.pp * c.tp) }
        #expect(close(try #require(folded.stepSeconds), try #require(full.stepSeconds)))
        let a = try #require(folded.breakdown), b = try #require(full.breakdown)
        #expect(close(a.computeSeconds, b.computeSeconds) && close(a.optimizerSeconds, b.optimizerSeconds))
        #expect(close(a.bubbleSeconds, b.bubbleSeconds) && close(a.imbalanceWaitSeconds, b.imbalanceWaitSeconds))
        #expect(Set(a.exposedCommunicationSeconds.keys) == Set(b.exposedCommunicationSeconds.keys))
        for (part, seconds) in b.exposedCommunicationSeconds {
            #expect(close(a.exposedCommunicationSeconds[part] ?? .nan, seconds), "\(part)")
        }
    }

    /// The fold's classes and numbering, and when it is refused.
    @Test func unitsFallInClassesAndStragglersMakeTheirOwn() throws {
        let layout = RankLayout(tp: 2, pp: 3, ep: 4, dp: 8, gpusPerNode: 8)
        let fold = try #require(RankFold.exact(layout: layout, slowdown: [], expertsAlike: false))
        #expect(fold.unit == 4 && fold.keptUnits == [0] && fold.weights == [4] && fold.keptColumns == 4)
        #expect(RankFold.exact(layout: layout, slowdown: [], expertsAlike: true)?.unit == 2)
        var slow = [Double](repeating: 1, count: layout.ranks)
        slow[layout.rank(stage: 1, column: 9)] = 2          // unit 2 of 4
        let split = try #require(RankFold.exact(layout: layout, slowdown: slow, expertsAlike: true))
        #expect(split.unit == 4 && split.keptUnits == [0, 2] && split.weights == [3, 1])
        #expect(split.realColumn(5) == 9 && split.keptColumn(ofReal: 13) == 1 && split.keptColumn(ofReal: 9) == 5)
        // Every replica of that rank slowed alike: one class again.
        for column in stride(from: 1, to: layout.columns, by: 4) { slow[layout.rank(stage: 1, column: column)] = 2 }
        #expect(RankFold.exact(layout: layout, slowdown: slow, expertsAlike: false)?.keptUnits == [0])
        // A straggler on every unit: nothing to fold.
        for unit in 0..<4 { slow[layout.rank(stage: 0, column: unit * 4)] = 1 + Double(unit) }
        #expect(RankFold.exact(layout: layout, slowdown: slow, expertsAlike: false) == nil)
        #expect(RankFold.exact(layout: RankLayout(tp: 1, pp: 2, ep: 8, dp: 8, gpusPerNode: 8), slowdown: [], expertsAlike: false) == nil)
    }

    /// Pipeline transfers between pods pay the pod oversubscription (they did not when priced as
    /// "two nodes"), and folding keeps them exact where stages straddle pods.
    @Test func transfersAcrossPodsPayTheCore() throws {
        var cluster = try PlanSearchTests.cluster(nodes: 8)
        cluster.topology = FatTreeTopology(levels: 3, planes: 1, nodesPerLeaf: 1, oversubscription: 1, sameLeafLatencySeconds: 2e-6,
                                           crossLeafLatencySeconds: 3e-6, nodesPerPod: 3, podOversubscription: 1, crossPodLatencySeconds: 4e-6)
        var setup = PlanSearchTests.base(globalBatch: 64)
        setup.pp = 2; setup.ep = 4; setup.dp = 32
        let model = PlanSearchTests.tinyMoEModel()
        func transfer(_ pod: Double, fold: Bool) throws -> (Double, Double) {
            cluster.topology.podOversubscription = pod
            let result = try TrainingSimulator(model: model, setup: setup, cluster: cluster).run(fold: fold).result
            let breakdown = try #require(result.breakdown)
            return (breakdown.exposedCommunicationSeconds[.pipelineTransfer] ?? 0, try #require(result.stepSeconds))
        }
        let cheap = try transfer(1, fold: true), dear = try transfer(1000, fold: true), dearFull = try transfer(1000, fold: false)
        #expect(dear.0 > cheap.0 && dear.1 > cheap.1)
        #expect(close(dear.1, dearFull.1) && close(dear.0, dearFull.0))
    }

    func close(_ a: Double, _ b: Double) -> Bool { a == b || abs(a - b) <= 1e-9 * max(abs(a), abs(b)) }
}
