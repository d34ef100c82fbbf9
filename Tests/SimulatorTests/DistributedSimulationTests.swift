import Hardware
import Program
import Simulator
import Testing
import Workload

/// A step simulated by several processes (here threads, each a block of pipeline stages) equals
/// the one-process step exactly: the step, every breakdown part, the ranks run and the events.
@Suite struct DistributedSimulationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var processes = 2, tp = 1, pp = 4, ep = 4, dp = 8, gpusPerNode = 8
        var schedule = PipelineScheduleKind.oneFOneB, virtualStages = 1, microBatches = 8
        var load = ExpertLoadModel.uniform
        var stragglers = StragglerModel()
        var fold = true
        var testDescription: String { "P\(processes) tp\(tp) pp\(pp) ep\(ep) dp\(dp) \(schedule) \(load) \(stragglers.logNormalSigma) fold \(fold)" }
    }

    /// Folded steps split by stages; unfolded ones by columns (replicas) when there are enough,
    /// else by stages, else whole in every process.
    static let cases: [Case] = [
        Case(),
        Case(fold: false),
        Case(processes: 4, dp: 16, fold: false),
        Case(processes: 4, ep: 8, dp: 8, fold: false),
        Case(processes: 3, pp: 2, ep: 8, dp: 8, fold: false),
        Case(processes: 2, tp: 2, pp: 2, ep: 2, dp: 8, schedule: .dualpipe, microBatches: 8, fold: false),
        Case(processes: 3),
        Case(processes: 4, schedule: .zb1p),
        Case(tp: 2, ep: 2, dp: 4, schedule: .interleaved, virtualStages: 2),
        Case(schedule: .dualpipe, microBatches: 8),
        Case(processes: 4, schedule: .dualpipe, microBatches: 16, load: .zipf(exponent: 1.2)),
        Case(stragglers: StragglerModel(logNormalSigma: 0.1)),
        Case(pp: 2, gpusPerNode: 4, stragglers: StragglerModel(slowRanks: [3, 11], slowdown: 1.7)),
    ]

    static func simulator(_ c: Case) throws -> TrainingSimulator {
        var cluster = try PlanSearchTests.cluster(nodes: 1)
        cluster.gpusPerNode = c.gpusPerNode
        cluster.nodes = c.tp * c.pp * c.dp / c.gpusPerNode
        var setup = PlanSearchTests.base(globalBatch: c.microBatches * c.dp)
        setup.tp = c.tp; setup.pp = c.pp; setup.ep = c.ep; setup.dp = c.dp
        setup.schedule = c.schedule; setup.virtualStages = c.virtualStages
        setup.expertLoad = c.load; setup.stragglers = c.stragglers
        return TrainingSimulator(model: PlanSearchTests.tinyMoEModel(), setup: setup, cluster: cluster)
    }

    @Test(arguments: cases)
    func theDistributedStepIsTheOneProcessStep(_ c: Case) throws {
        let simulator = try Self.simulator(c)
        let alone = try simulator.run(fold: c.fold).result
        let results = ExchangeHub(processes: c.processes).run { exchange in
            Result { () throws(SimulationError) in try simulator.run(fold: c.fold, exchange: exchange).result }
        }
        #expect(results.count == c.processes)
        for outcome in results {
            let part = try outcome.get()
            #expect(part.stepSeconds == alone.stepSeconds)
            #expect(part.breakdown == alone.breakdown)
            #expect(part.ranksRun == alone.ranksRun && part.events == alone.events)
        }
    }

    /// Which way a step is split, by the lowering's partition.
    @Test func aStepIsSplitByReplicasWhenItCanBe() throws {
        var setup = PlanSearchTests.base(globalBatch: 64)
        setup.pp = 4; setup.ep = 4; setup.dp = 8
        let layout = (columns: 8, unit: 4)
        #expect(RankPartition(processes: 2, process: 0, pp: setup.pp, columns: layout.columns, unit: layout.unit)?.byColumns == true)
        #expect(RankPartition(processes: 4, process: 0, pp: setup.pp, columns: layout.columns, unit: layout.unit)?.byColumns == false)
        #expect(RankPartition(processes: 5, process: 0, pp: setup.pp, columns: layout.columns, unit: layout.unit) == nil)
        let split = RankPartition(processes: 3, process: 1, pp: 2, columns: 24, unit: 4)
        #expect(split?.columnRange == 8..<16 && split?.process(stage: 1, column: 15) == 1 && split?.process(stage: 0, column: 16) == 2)
    }
}
