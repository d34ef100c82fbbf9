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
    /// starts when rank 1 arrives. Rank 0: F a, grad-sync d + b + r; rank 1: pipeline a + d,
    /// F b, grad-sync r; both steps a + d + b + r.
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
        let expected: [[String: Double]] = [["F": a, "grad-sync": Double(Float(d)) + b + r],
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

    /// A train task's prediction carries the op-kind breakdown, and its compute and comm are
    /// the sums of its compute and communication kinds; every rank's kinds add up to its step.
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
        for rank in 0..<2 {
            let kinds = train.secondsByKind[rank]
            #expect(kinds["F"] ?? 0 > 0 && kinds["B"] ?? 0 > 0 && kinds["optimizer"] ?? 0 > 0)
            let total = kinds.values.reduce(0, +)
            #expect(abs(total - train.stepSeconds[rank]) <= 1e-9 * total)
            #expect(abs(prediction.computeSeconds[rank] + prediction.commSeconds[rank] - total) <= 1e-9 * total)
        }
        // The second stage waits for its first micro-batch's activations.
        #expect(train.secondsByKind[1][TrainStepPrediction.pipelineKind] ?? 0 > 0)
    }
}
