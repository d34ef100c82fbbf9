import Foundation
import Hardware
import Program
import Reports
import Simulator
import Testing
import Workload

/// A train step predicted as the runtime runs it: one thread per rank, op after op.
@Suite struct TrainStepPredictionTests {
    static func costs() throws -> OpCostModel {
        var cluster = try Fixtures.cluster("h800-2048")
        cluster.nodes = 1
        cluster.gpusPerNode = 2
        return OpCostModel(jobOn: cluster)
    }

    static func gemm(_ size: Double) -> WorkItem { .gemm(size, size, size, precision: .fp32) }

    /// Two stages and a gradient collective, by hand: rank 0 runs F (GEMM a), rank 1 waits for
    /// its activations (a, then the transfer d), runs F (GEMM b); both reduce-scatter (r), which
    /// starts when rank 1 arrives. Rank 0: F a, sync-wait d + b (for rank 1), grad-sync r;
    /// rank 1: pipeline a + d, F b, grad-sync r; both steps a + d + b + r.
    @Test func opKindsOfATwoStageProgramEqualTheHandComputedOnes() throws {
        let costs = try Self.costs()
        var program = RankProgram()
        let sync = program.addCollective(members: 2)
        let reduce = WorkItem.collective(.reduceScatter, group: .data, bytes: 4e6, ranksPerNode: 2, nodes: 1)
        program.rankStart.append(program.count)
        let first = program.append(rank: 0, kind: .forward, microBatch: 0, segment: program.work.append(segment: [Self.gemm(512)]),
                                   dependency: -1)
        _ = program.append(rank: 0, kind: .gradientSync, microBatch: -1, segment: program.work.append(segment: [reduce]),
                           dependency: first, collective: sync)
        program.rankStart.append(program.count)
        let second = program.append(rank: 1, kind: .forward, microBatch: 0, segment: program.work.append(segment: [Self.gemm(1024)]),
                                    dependency: -1)
        _ = program.append(rank: 1, kind: .gradientSync, microBatch: -1, segment: program.work.append(segment: [reduce]),
                           dependency: second, collective: sync)
        program.rankStart.append(program.count)
        program.receive(op: second, from: first, bytes: 1e6)

        let prediction = try TrainStepPrediction.predict(program: program, costs: costs)
        let a = costs.seconds(Self.gemm(512), routes: []), b = costs.seconds(Self.gemm(1024), routes: [])
        let r = costs.seconds(reduce, routes: []), d = costs.collectives.pointToPointSeconds(bytes: 1e6, from: 0, to: 1)
        let expected: [[String: Double]] = [["F": a, "sync-wait": Double(Float(d)) + b, "grad-sync": r],
                                            ["pipeline": a + Double(Float(d)), "F": b, "grad-sync": r]]
        #expect(prediction.secondsByKind.count == 2)
        for (rank, kinds) in expected.enumerated() {
            #expect(Set(prediction.secondsByKind[rank].keys) == Set(kinds.keys))
            for (kind, seconds) in kinds {
                #expect(abs((prediction.secondsByKind[rank][kind] ?? -1) - seconds) <= 1e-12 * seconds, "rank \(rank) \(kind)")
            }
            #expect(abs(prediction.stepSeconds[rank] - (a + Double(Float(d)) + b + r)) <= 1e-12 * prediction.stepSeconds[rank])
        }
        #expect(abs(prediction.computeSeconds[1] - b) <= 1e-15)
        #expect(abs(prediction.commSeconds[1] - (a + Double(Float(d)) + r)) <= 1e-12)
    }

    /// The runtime overlaps nothing: a compute op that the program lets run beside a
    /// communication op still waits for it (step = F + combine + F, not F + F).
    @Test func communicationIsNotOverlappedWithCompute() throws {
        let costs = try Self.costs()
        var program = RankProgram()
        let single = program.addCollective(members: 1)
        let gather = WorkItem.collective(.allGather, group: .expert, bytes: 8e6, ranksPerNode: 2, nodes: 1)
        program.rankStart.append(program.count)
        let forward = program.append(rank: 0, kind: .forward, microBatch: 0, segment: program.work.append(segment: [Self.gemm(512)]),
                                     dependency: -1)
        _ = program.append(rank: 0, kind: .combine, microBatch: 0, segment: program.work.append(segment: [gather]),
                           dependency: forward, collective: single)
        _ = program.append(rank: 0, kind: .forward, microBatch: 1, segment: program.work.append(segment: [Self.gemm(512)]),
                           dependency: -1)
        program.rankStart.append(program.count)
        let prediction = try TrainStepPrediction.predict(program: program, costs: costs)
        let a = costs.seconds(Self.gemm(512), routes: []), c = costs.seconds(gather, routes: [])
        #expect(c > 0)
        #expect(abs((prediction.secondsByKind[0]["F"] ?? 0) - 2 * a) <= 1e-12 * a)
        #expect(abs((prediction.secondsByKind[0]["combine"] ?? 0) - c) <= 1e-12 * c)
        #expect(abs(prediction.stepSeconds[0] - (2 * a + c)) <= 1e-12 * (2 * a + c))
    }

    /// The runtime's copies of the sets a rank trains, by hand: two ranks, each holding n = 1e6
    /// non-expert and e = 3e6 expert parameters; each has a grad-sync (r) and a param-gather (g)
    /// of the data group around an optimizer op (u), none for the experts. A copy of x parameters
    /// is c(x) = 2 · 4 · x bytes at the chip's memory bandwidth. Then grad-sync = r + c(n) (the
    /// gradients packed); optimizer = u + c(n) + c(e) (the parameters packed) + c(e) (the expert
    /// gradients, which no grad-sync packed); param-gather = g + c(n) (unpacked); and after the
    /// last op c(e) (the experts unpacked), in the step under no kind.
    @Test func theRuntimesCopiesOfEachSetAreAddedWhereItMakesThem() throws {
        let costs = try Self.costs()
        var program = RankProgram()
        let reduce = WorkItem.collective(.reduceScatter, group: .data, bytes: 4e6, ranksPerNode: 2, nodes: 1)
        let gather = WorkItem.collective(.allGather, group: .data, bytes: 4e6, ranksPerNode: 2, nodes: 1)
        var update = WorkItem(kind: .optimizerUpdate)
        update.bytes = 32e6
        update.precision = .fp32
        let sync = program.addCollective(members: 2), gathering = program.addCollective(members: 2)
        for rank in 0..<2 {
            program.rankStart.append(program.count)
            let synced = program.append(rank: rank, kind: .gradientSync, microBatch: -1, segment: program.work.append(segment: [reduce]),
                                        dependency: -1, collective: sync)
            let updated = program.append(rank: rank, kind: .optimizer, microBatch: -1, segment: program.work.append(segment: [update]),
                                         dependency: synced)
            _ = program.append(rank: rank, kind: .parameterGather, microBatch: -1, segment: program.work.append(segment: [gather]),
                               dependency: updated, collective: gathering)
        }
        program.rankStart.append(program.count)
        let n = 1e6, e = 3e6
        let held = RankParameters.Counts(nonExpert: n, expert: e)
        let prediction = try TrainStepPrediction.predict(program: program, costs: costs, held: [held, held])
        let bandwidth = costs.kernels.chip.memoryGbPerSecond * 1e9
        func copy(_ parameters: Double) -> Double { 2 * 4 * parameters / bandwidth }
        let r = costs.seconds(reduce, routes: []), g = costs.seconds(gather, routes: []), u = costs.seconds(update, routes: [])
        let expected = ["grad-sync": r + copy(n), "optimizer": u + copy(n) + 2 * copy(e), "param-gather": g + copy(n)]
        for rank in 0..<2 {
            #expect(Set(prediction.secondsByKind[rank].keys) == Set(expected.keys))
            for (kind, seconds) in expected {
                #expect(abs((prediction.secondsByKind[rank][kind] ?? -1) - seconds) <= 1e-12 * seconds, "rank \(rank) \(kind)")
            }
            let step = expected.values.reduce(0, +) + copy(e)
            #expect(abs(prediction.stepSeconds[rank] - step) <= 1e-12 * step)
        }
        // Without held parameters nothing is added.
        let bare = try TrainStepPrediction.predict(program: program, costs: costs)
        #expect(abs((bare.secondsByKind[0]["grad-sync"] ?? -1) - r) <= 1e-12 * r)
        #expect(abs(bare.stepSeconds[0] - (r + u + g)) <= 1e-12 * (r + u + g))
    }

    /// A train task's prediction carries the op-kind breakdown, and its compute and comm are
    /// the sums of its compute and communication kinds; every rank's kinds add up to its step
    /// less the runtime's unpacking of the sets no op gathers (here, dp = 1: both, after the last op).
    @Test func aTrainTaskIsPredictedByOpKind() throws {
        let model = try Fixtures.model("tiny-moe")
        var setup = TrainingSetup()
        setup.sequenceLength = 32
        setup.globalBatchSequences = 4
        setup.microBatchSequences = 1
        setup.pp = 2
        setup.dp = 1
        setup.precision = .fp32
        let task = TrainTask(name: "t", model: model, modelFile: "tiny-moe.toml", setup: setup, steps: 2, seed: 1)
        var cluster = try Fixtures.cluster("h800-2048")
        cluster.nodes = 1
        let prediction = try #require(TaskPrediction.predict(job: Job(name: "j", seed: 1, tasks: [.train(task)]), ranks: 2,
                                                             cluster: cluster).first)
        let train = try #require(prediction.train)
        #expect(train.secondsByKind.count == 2)
        let lowering = TrainingLowering(model: model, setup: setup, gpusPerNode: 2)
        for rank in 0..<2 {
            let kinds = train.secondsByKind[rank]
            #expect(kinds["F"] ?? 0 > 0 && kinds["B"] ?? 0 > 0 && kinds["optimizer"] ?? 0 > 0)
            let total = kinds.values.reduce(0, +)
            let held = lowering.parameters.perStage[rank]
            let unpack = 2 * 4 * held.total / (cluster.chip.memoryGbPerSecond * 1e9)
            #expect(held.expert > 0 && held.nonExpert > 0)
            #expect(abs(total + unpack - train.stepSeconds[rank]) <= 1e-9 * total)
            #expect(abs(prediction.computeSeconds[rank] + prediction.commSeconds[rank] - total) <= 1e-9 * total)
        }
        // The second stage waits for its first micro-batch's activations.
        #expect(train.secondsByKind[1][TrainStepPrediction.pipelineKind] ?? 0 > 0)
    }
}
