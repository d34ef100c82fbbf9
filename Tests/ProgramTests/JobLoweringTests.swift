import Planner
import Program
import Testing
import Workload

/// Hand-checked programs of job tasks.
@Suite struct JobLoweringTests {
    func kinds(_ program: RankProgram, rank: Int) -> [OperationKind] {
        program.ops(of: rank).map { OperationKind(rawValue: program.kind[$0]) ?? .forward }
    }

    func items(_ program: RankProgram, op: Int) -> [WorkItem] { Array(program.work.items(of: program.segment[op])) }

    /// 512×512×512 row-sharded over 2 ranks: each rank all-gathers B (512·512 floats = 1 MiB,
    /// copying its own half: 2 × 512 KiB moved), multiplies its 256 rows, then rank 0 copies its
    /// C block and gathers rank 1's (256·512 floats = 512 KiB) while rank 1 sends it.
    @Test func rowShardedGemmAtTwoRanks() {
        let task = GemmTask(name: "rows", m: 512, n: 512, k: 512, sharding: .rows)
        let program = JobLowering(ranks: 2).lower(.gemm(task))
        #expect(program.ranks == 2 && program.count == 6 && program.loopCount == 1)
        let half = 256.0 * 512 * 4
        for rank in 0..<2 {
            #expect(kinds(program, rank: rank) == [.collective, .forward, .collective])
            let ops = Array(program.ops(of: rank))
            #expect(program.stream[ops[0]] == 1 && program.stream[ops[1]] == 0 && program.stream[ops[2]] == 1)
            #expect(program.dependency[ops[1]] == Int32(ops[0]) && program.dependency[ops[2]] == Int32(ops[1]))
            let gather = items(program, op: ops[0])
            #expect(gather.map(\.kind) == [.allGather, .elementwise])
            #expect(gather[0].bytes == 2 * half && gather[0].ranksPerNode == 2 && gather[1].bytes == 2 * half)
            let gemm = items(program, op: ops[1])
            #expect(gemm.count == 1 && gemm[0].kind == .gemm && gemm[0].precision == .fp32)
            #expect(gemm[0].m == 256 && gemm[0].n == 512 && gemm[0].k == 512)
            #expect(program.members(of: program.collective[ops[0]]) == [0, 1])
            #expect(program.members(of: program.collective[ops[2]]) == [0, 1])
        }
        let root = items(program, op: Array(program.ops(of: 0))[2])
        #expect(root.map(\.kind) == [.elementwise, .gather] && root[0].bytes == 2 * half && root[1].bytes == half)
        let sender = items(program, op: Array(program.ops(of: 1))[2])
        #expect(sender.map(\.kind) == [.send] && sender[0].bytes == half)
    }

    /// 2×2 grid over 4 ranks with k = 768 split in two panels: per panel a row broadcast, a column
    /// broadcast and the panel's 384×384×384 GEMM.
    @Test func gridGemmHasTwoSummaPanels() {
        let task = GemmTask(name: "grid", m: 768, n: 768, k: 768, sharding: .grid)
        let program = JobLowering(ranks: 4).lower(.gemm(task))
        #expect(kinds(program, rank: 3) == [.collective, .collective, .forward, .collective, .collective, .forward, .collective])
        let ops = Array(program.ops(of: 3))
        #expect(items(program, op: ops[0])[0].kind == .broadcast && items(program, op: ops[0])[0].group == .gridRow)
        #expect(items(program, op: ops[1])[0].group == .gridColumn)
        #expect(items(program, op: ops[2])[0].m == 384 && items(program, op: ops[2])[0].k == 384)
        #expect(program.members(of: program.collective[ops[0]]) == [2, 3])
        #expect(program.members(of: program.collective[ops[1]]) == [1, 3])
    }

    /// A MoE task lowers one step (gate, dispatch, experts, combine; backward: dispatch, expert
    /// backward, combine), each item repeated per micro-batch; the experts' GEMMs are the runs of
    /// rows the rank receives in the planned dispatch, folded by row count.
    @Test func moeLowersOneStepFromTheDispatchPlan() throws {
        var task = MoETask(name: "moe", tokens: 1024, hidden: 64, expertFfnWidth: 128, routedExperts: 8, topK: 2)
        task.microBatches = 4
        task.backward = true
        #expect(!JobLowering.isRankSymmetric(.moe(task)))
        let dispatch = JobLowering.dispatch(task, ranks: 2)
        #expect(dispatch.isExact)
        let program = JobLowering(ranks: 2).lower(.moe(task), ranks: 0..<1)
        #expect(program.ranks == 1 && program.loopCount == 1)
        #expect(kinds(program, rank: 0) == [.forward, .dispatch, .forward, .combine, .dispatchBackward, .backward, .combineBackward])
        let gate = items(program, op: 0)[0]
        #expect(gate.kind == .gate && gate.m == 256 && gate.repeats == 4)
        let experts = items(program, op: 2)
        #expect(experts.count == 3 * dispatch.ranks[0].segments.count)
        for (index, run) in dispatch.ranks[0].segments.enumerated() {
            #expect(experts[3 * index].m == Double(run.rows) && experts[3 * index].repeats == Int32(run.segments))
        }
        #expect(items(program, op: 5).count == 3 * experts.count)
        let mine = dispatch.ranks[0]
        #expect(items(program, op: 1)[0].bytes == Double(max(mine.rowsSentToPeers, mine.rowsReceivedFromPeers)) / 4 * 64 * 4)
    }

    /// Skewed routing: each rank's routed GEMM rows are the rows the runtime's dispatch sends it.
    @Test func skewedMoERanksComputeTheirOwnRows() throws {
        let task = MoETask(name: "skewed", tokens: 64, hidden: 32, expertFfnWidth: 16, routedExperts: 8, topK: 2,
                           zipf: 1.5, drift: 0.25, microBatches: 2, capacityFactor: 1.2, seed: 5)
        var planner = try MoEDispatchPlanner(task: task, ranks: 4)
        let dispatch = try planner.next()
        let program = JobLowering(ranks: 4).lower(.moe(task))
        var rows: [Int] = []
        for rank in 0..<4 {
            let expertOp = Array(program.ops(of: rank))[2]
            let first = items(program, op: expertOp).filter { $0.kind == .groupedGemm && $0.n == 16 && $0.k == 32 }
            rows.append(Int(first.reduce(0) { $0 + $1.m * Double($1.repeats) } / 2))
        }
        #expect(rows == dispatch.ranks.map(\.rowsReceived))
        #expect(Set(rows).count > 1)
    }

    /// A window of ranks: the ranks before it have no ops, its ranks theirs.
    @Test func windowLowersOnlyItsRanks() {
        let task = GemmTask(name: "rows", m: 64, n: 64, k: 64, sharding: .rows)
        let program = JobLowering(ranks: 8).lower(.gemm(task), ranks: 5..<7)
        #expect(program.ranks == 7 && program.count == 6)
        #expect(program.ops(of: 4).isEmpty && program.ops(of: 5).count == 3 && program.ops(of: 6).count == 3)
        #expect(program.rank[program.ops(of: 6).lowerBound] == 6)
    }
}
