import Program
import Testing
import Workload

/// Hand-checked gradient sync under DualPipe: stage s and stage pp−1−s hold the same two pipeline
/// positions (s and pp−1−s), so their weights are synchronised by one group over both stages'
/// ranks, as the runtime's `syncColor` (min(s, pp−1−s)) splits its communicators.
@Suite struct DualPipeSyncTests {
    static func setup(pp: Int, dp: Int, ep: Int = 1, schedule: PipelineScheduleKind = .dualpipe) -> TrainingSetup {
        var setup = TrainingLoweringTests.twoStageSetup(microBatches: 2 * pp * dp)
        setup.pp = pp
        setup.dp = dp
        setup.ep = ep
        setup.schedule = schedule
        setup.zeroStage = 1
        return setup
    }

    static func tinyMoEModel() -> TransformerModel {
        TransformerModel(name: "tiny-moe", layers: 8, hidden: 1024,
                         attention: AttentionSpec(kind: .mha, heads: 16, kvHeads: 16, headDim: 64), denseFfnWidth: 4096,
                         moe: MixtureOfExpertsSpec(leadingDenseLayers: 1, routedExperts: 16, sharedExperts: 1, topK: 2, expertFfnWidth: 512),
                         vocabulary: 1000)
    }

    /// The ops of `kind` on `rank`.
    func ops(_ program: RankProgram, rank: Int, _ kind: OperationKind) -> [Int] {
        program.ops(of: rank).filter { program.kind[$0] == kind.rawValue }
    }

    /// The one work item of `op`'s segment.
    func item(_ program: RankProgram, _ op: Int) -> WorkItem? {
        let items = Array(program.work.items(of: program.segment[op]))
        return items.count == 1 ? items[0] : nil
    }

    /// pp=2, dp=1: both ranks hold positions 0 and 1, so each ends with one gradient
    /// reduce-scatter and one parameter all-gather (ZeRO-1), each a collective of the 2 ranks
    /// (one node of 8: nodes 1, 2 per node). Before, dp=1 meant no sync at all.
    @Test func twoStagesSyncAsOnePairOfTwoMembers() throws {
        var lowering = TrainingLowering(model: TrainingLoweringTests.tinyDenseModel(), setup: Self.setup(pp: 2, dp: 1), gpusPerNode: 8)
        let program = lowering.lower()
        #expect(program.ranks == 2)
        let counts = lowering.parameters.perStage
        #expect(counts[0] == counts[1] && counts[0].nonExpert > 0 && counts[0].expert == 0)
        for (kind, work) in [(OperationKind.gradientSync, WorkKind.reduceScatter), (.parameterGather, .allGather)] {
            let first = ops(program, rank: 0, kind), second = ops(program, rank: 1, kind)
            #expect(first.count == 1 && second.count == 1, "\(kind)")
            guard let a = first.first, let b = second.first else { continue }
            #expect(program.collective[a] >= 0 && program.collective[a] == program.collective[b])
            #expect(program.collectiveMembers[Int(program.collective[a])] == 2)
            let sync = try #require(item(program, a))
            #expect(sync.kind == work && sync.group == .data && sync.nodes == 1 && sync.ranksPerNode == 2)
            #expect(sync.bytes == counts[0].nonExpert * (kind == .gradientSync ? 4 : 2))
        }
        #expect(program.collectiveMembers == [2, 2])
        // ZeRO-1 over the pair: half the stage's parameters each.
        let optimizer = try #require(ops(program, rank: 0, .optimizer).first)
        #expect(item(program, optimizer)?.bytes == counts[0].total / 2 * TrainingLowering.optimizerBytesPerParameter)
    }

    /// pp=4, dp=2 on nodes of 4 (ranks 0-1 stage 0, 2-3 stage 1, 4-5 stage 2, 6-7 stage 3):
    /// stages 0 and 3 sync in one group {0, 1, 6, 7}, stages 1 and 2 in {2, 3, 4, 5}; 4 members
    /// each, on 2 nodes with 2 per node.
    @Test func mirrorStagesShareGroupsOfFourMembers() throws {
        var lowering = TrainingLowering(model: TrainingLoweringTests.tinyDenseModel(), setup: Self.setup(pp: 4, dp: 2), gpusPerNode: 4)
        let program = lowering.lower()
        #expect(program.ranks == 8)
        for kind in [OperationKind.gradientSync, .parameterGather] {
            let collective = (0..<8).map { rank in ops(program, rank: rank, kind).map { program.collective[$0] } }
            #expect(collective.allSatisfy { $0.count == 1 }, "\(kind)")
            #expect(Set(collective[0] + collective[1] + collective[6] + collective[7]).count == 1)
            #expect(Set(collective[2] + collective[3] + collective[4] + collective[5]).count == 1)
            #expect(collective[0] != collective[2])
            for rank in 0..<8 {
                guard let op = ops(program, rank: rank, kind).first else { continue }
                #expect(program.collectiveMembers[Int(program.collective[op])] == 4)
                let sync = try #require(item(program, op))
                #expect(sync.nodes == 2 && sync.ranksPerNode == 2)
            }
        }
        #expect(program.collectiveMembers == [4, 4, 4, 4])
        #expect(lowering.ranks.dataParallelGroup(stage: 3, column: 1) == [0, 1, 6, 7])
        #expect(lowering.ranks.dataParallelGroup(stage: 1, column: 0) == [2, 3, 4, 5])
    }

    /// The ZeRO-1 shard halves: pp=4, dp=2, ep=2 with experts shards non-expert weights over
    /// 2·dp = 4 ranks and experts over 2·dp/ep = 2 (1F1B's groups, one stage each, would be 2
    /// and 1). The expert-data group, 1 rank per stage, becomes the 2 ranks of the mirror pair.
    @Test func theOptimizerShardHalves() throws {
        let setup = Self.setup(pp: 4, dp: 2, ep: 2)
        var lowering = TrainingLowering(model: Self.tinyMoEModel(), setup: setup, gpusPerNode: 8)
        let counts = lowering.parameters.perStage
        for stage in 0..<4 {
            let shard = lowering.parameters.optimizerShard(stage: stage, zeroStage: 1)
            #expect(shard == counts[stage].nonExpert / 4 + counts[stage].expert / 2)
            #expect(lowering.parameters.optimizerShard(stage: stage, zeroStage: 0) == counts[stage].total)
        }
        let program = lowering.lower()
        // Rank 0 (stage 0, ep index 0) syncs its experts with rank 6 (stage 3, ep index 0).
        let syncs = ops(program, rank: 0, .gradientSync)
        #expect(syncs.count == 2)
        let expert = try #require(syncs.first { item(program, $0)?.group == .expertData })
        #expect(program.collectiveMembers[Int(program.collective[expert])] == 2)
        #expect(ops(program, rank: 6, .gradientSync).contains { program.collective[$0] == program.collective[expert] })
        #expect(!ops(program, rank: 7, .gradientSync).contains { program.collective[$0] == program.collective[expert] })
        let optimizer = try #require(ops(program, rank: 0, .optimizer).first)
        #expect(item(program, optimizer)?.bytes
                == (counts[0].nonExpert / 4 + counts[0].expert / 2) * TrainingLowering.optimizerBytesPerParameter)
    }

    /// Other schedules keep one stage per group: 1F1B at pp=4, dp=2 has 4 data groups of 2.
    @Test func otherSchedulesKeepStageGroups() {
        var lowering = TrainingLowering(model: TrainingLoweringTests.tinyDenseModel(),
                                        setup: Self.setup(pp: 4, dp: 2, schedule: .oneFOneB), gpusPerNode: 4)
        let program = lowering.lower()
        #expect(!lowering.ranks.mirrored)
        #expect(program.collectiveMembers == [2, 2, 2, 2, 2, 2, 2, 2])
        #expect(lowering.parameters.optimizerShard(stage: 0, zeroStage: 1) == lowering.parameters.perStage[0].total / 2)
    }
}
