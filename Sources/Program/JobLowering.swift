import Foundation
import Planner
import Workload

/// Lowers a job task (`frugal run`'s gemm, moe and batch tasks) into the same ``RankProgram`` the
/// training step lowers into: per rank, compute ops of FP32 GEMMs and communication ops of the
/// runtime's MPI collectives, with shapes and bytes, no durations.
///
/// - **gemm** (one repetition, as ``GemmPlan`` shards it): `rows` / `cols`: the all-gather of the
///   replicated operand (with the copy of the rank's own block), the rank's GEMM; `grid`: per SUMMA
///   panel the row and column broadcasts, then the panel's GEMM; all: the gather of C to rank 0
///   (rank 0 copies its own block and receives the others', every other rank sends its block).
/// - **moe** (one step, every micro-batch: items repeated `microBatches` times, so its ops have no
///   micro-batch of their own), from the step's
///   ``MoEStepDispatch`` (the runtime's routing, capacity and placement, per rank): the gate, one
///   SwiGLU FFN (three grouped GEMMs) per run of rows the rank receives — per source rank,
///   micro-batch and local expert slot, as the runtime computes them; runs of equal rows share
///   one item — the shared experts, dispatch and combine of the larger of the rows the rank
///   sends to and receives from other ranks; with `backward`, the experts' backward (three GEMMs
///   per forward GEMM: recomputed forward, input gradient, weight gradient) and the backward
///   dispatch and combine.
/// - **train**: the training step's program (``TrainingLowering``) of the task's model and setup,
///   every rank on one node: what `frugal run` interprets op by op (the window is ignored).
/// - **batch**: a ``OperationKind/pool`` op per rank over every item: the items are handed out
///   at run time (or by a policy), so the program holds the pool, not an assignment.
///
/// Batch programs are the same on every rank (``isRankSymmetric``); MoE ranks differ by their load. A program of the
/// window of ranks only (`ranks:`; the ranks before it have no ops) keeps each collective's full member count.
public struct JobLowering: Sendable {
    /// Ranks of the run.
    public let ranks: Int

    public init(ranks: Int) { self.ranks = max(1, ranks) }

    /// Whether every rank of `task`'s program does the same work (then rank 0's program stands for all).
    public static func isRankSymmetric(_ task: JobTask) -> Bool {
        if case .batch = task { return true }
        return false
    }

    /// The first step's dispatch of `task` on `ranks` ranks (``MoEDispatchPlanner``); for a task
    /// the planner cannot place (never one decoded from a job file), every expert gets the
    /// mean rows `tokens·ranks·topK/experts` from every source in one run per micro-batch.
    public static func dispatch(_ task: MoETask, ranks: Int) -> MoEStepDispatch {
        if var planner = try? MoEDispatchPlanner(task: task, ranks: ranks), let step = try? planner.next() { return step }
        let m = max(1, task.microBatches), experts = max(1, task.routedExperts)
        let perExpert = Double(task.tokens) * Double(ranks) * Double(task.topK) / Double(experts) / Double(m)
        let rows = perExpert.isFinite ? max(1, Int(min(perExpert.rounded(), Double(Int32.max)))) : 1
        var rank = MoEStepDispatch.Rank()
        rank.segments = task.routedExperts / ranks > 0 ? [.init(rows: rows, segments: task.routedExperts / ranks * m)] : []
        rank.rowsReceived = rows * (task.routedExperts / ranks) * m
        let sent = Int(min(Double(task.tokens) * Double(task.topK) * Double(ranks - 1) / Double(ranks), Double(Int32.max)))
        rank.rowsSentToPeers = sent
        rank.rowsReceivedFromPeers = sent
        return MoEStepDispatch(step: 0, ranks: Array(repeating: rank, count: ranks), loads: [], droppedPairs: 0, routedRanks: 0)
    }

    /// The program of `task` for the ranks of `window` (clamped to the run's ranks; default all):
    /// `ops(of:)` is valid up to the window's last rank, empty before its first. A MoE task is
    /// lowered from `dispatch` (one step's, from ``MoEDispatchPlanner``; default: its first step's).
    public func lower(_ task: JobTask, ranks window: Range<Int>? = nil, dispatch: MoEStepDispatch? = nil) -> RankProgram {
        let lower = min(max(0, window?.lowerBound ?? 0), ranks), upper = min(max(lower, window?.upperBound ?? ranks), ranks)
        var builder = Builder(ranks: ranks)
        switch task {
        case .gemm(let gemm): builder.gemm(gemm, lowering: lower..<upper)
        case .moe(let moe):
            builder.moe(moe, dispatch: dispatch ?? Self.dispatch(moe, ranks: ranks), lowering: lower..<upper)
        case .batch(let batch): builder.batch(batch, lowering: lower..<upper)
        case .train(let train):
            var lowering = TrainingLowering(model: train.model, setup: train.setup, gpusPerNode: ranks)
            return lowering.lower()
        }
        return builder.program
    }

    /// Builds a job program rank by rank.
    struct Builder {
        let ranks: Int
        var program = RankProgram()
        static let floatBytes = Double(MemoryLayout<Float>.size)

        init(ranks: Int) { self.ranks = ranks }

        func gemm(_ m: Double, _ n: Double, _ k: Double, grouped: Bool = false) -> WorkItem {
            .gemm(m, n, k, precision: .fp32, grouped: grouped)
        }

        /// A collective item over `members` ranks (the runtime's flat MPI collectives: one tier).
        func collective(_ kind: WorkKind, _ group: ProcessGroup, bytes: Double, members: Int) -> WorkItem {
            var item = WorkItem.collective(kind, group: group, bytes: bytes, ranksPerNode: members, nodes: 1)
            item.precision = .fp32
            return item
        }

        /// A memory copy of `bytes` (read and write counted: 2× the block).
        func copy(_ bytes: Double) -> WorkItem {
            var item = WorkItem.memory(.copy, bytes: 2 * bytes)
            item.precision = .fp32
            return item
        }

        /// Appends an op of `items` on `rank` after `after`; returns it.
        @discardableResult
        mutating func op(_ rank: Int, _ kind: OperationKind, _ items: [WorkItem], after: Int32, microBatch: Int = -1,
                         collective: Int32 = -1) -> Int32 {
            let segment = program.work.append(segment: items)
            return program.append(rank: rank, kind: kind, microBatch: microBatch, segment: segment, dependency: after,
                                  collective: collective)
        }

        mutating func gemm(_ task: GemmTask, lowering window: Range<Int>) {
            let plan = GemmPlan(task: task, ranks: ranks)
            let b = Self.floatBytes
            let panels = task.sharding == .grid ? plan.summaPanels : []
            let grid = plan.grid
            // Collectives: the input all-gather (rows / cols), per panel a broadcast per grid row
            // and per grid column (grid), the gather of C.
            let allGather = task.sharding == .grid ? -1 : program.addCollective(members: ranks)
            var panelBase: [Int32] = []
            for _ in panels {
                panelBase.append(Int32(program.collectiveMembers.count))
                for _ in 0..<grid.rows { _ = program.addCollective(members: grid.columns) }
                for _ in 0..<grid.columns { _ = program.addCollective(members: grid.rows) }
            }
            let gather = program.addCollective(members: ranks)
            for rank in 0..<window.upperBound {
                program.rankStart.append(program.count)
                guard window.contains(rank) else { continue }
                let block = plan.outputBlock(of: rank)
                let rows = Double(block.rows.count), columns = Double(block.columns.count)
                let m = Double(task.m), n = Double(task.n), k = Double(task.k)
                var last: Int32 = -1
                switch task.sharding {
                case .rows, .cols:
                    let total = task.sharding == .rows ? k * n * b : m * k * b
                    last = op(rank, .collective, [collective(.allGather, .world, bytes: total, members: ranks), copy(total / Double(ranks))],
                              after: last, collective: allGather)
                    let work = task.sharding == .rows ? gemm(rows, n, k) : gemm(m, columns, k)
                    last = op(rank, .forward, [work], after: last)
                case .grid:
                    let (row, column) = plan.coordinates(of: rank)
                    for (index, panel) in panels.enumerated() {
                        let depth = Double(panel.k.count)
                        let rowGroup = panelBase[index] + Int32(row), columnGroup = panelBase[index] + Int32(grid.rows + column)
                        last = op(rank, .collective, [collective(.broadcast, .gridRow, bytes: rows * depth * b, members: grid.columns)],
                                  after: last, collective: rowGroup)
                        last = op(rank, .collective, [collective(.broadcast, .gridColumn, bytes: depth * columns * b, members: grid.rows)],
                                  after: last, collective: columnGroup)
                        last = op(rank, .forward, [gemm(rows, columns, depth)], after: last)
                    }
                }
                op(rank, .collective, gatherC(plan: plan, rank: rank), after: last, collective: gather)
            }
            program.rankStart.append(program.count)
        }

        /// The gather of C to rank 0: rank 0 copies its block and receives every other (mean bytes
        /// per sender), the others send theirs.
        func gatherC(plan: GemmPlan, rank: Int) -> [WorkItem] {
            let b = Self.floatBytes
            let own = Double(plan.outputBlock(of: rank).elementCount) * b
            guard ranks > 1 else { return rank == 0 ? [copy(own)] : [] }
            guard rank == 0 else { return [collective(.send, .world, bytes: own, members: 2)] }
            let gathered = Double(plan.task.m) * Double(plan.task.n) * b
            return [copy(own), collective(.gather, .world, bytes: (gathered - own) / Double(ranks - 1), members: ranks)]
        }

        mutating func moe(_ task: MoETask, dispatch: MoEStepDispatch, lowering window: Range<Int>) {
            let m = max(1, task.microBatches)
            let h = Double(task.hidden), f = Double(task.expertFfnWidth), tokens = Double(task.tokens / m)
            func repeated(_ items: [WorkItem], _ count: Int) -> [WorkItem] {
                items.map { var item = $0; item.repeats = Int32(clamping: count); return item }
            }
            var gate = gemm(tokens, Double(task.routedExperts), h)
            gate.kind = .gate
            gate.repeats = Int32(clamping: m)
            let shared = task.sharedExperts > 0
                ? repeated([gemm(tokens, f, h), gemm(tokens, f, h), gemm(tokens, h, f)], task.sharedExperts * m) : []
            // Backward per forward GEMM (m×n×k): recomputed forward, input gradient m×k×n, weight gradient k×n×m.
            func backward(_ experts: [WorkItem]) -> [WorkItem] {
                experts.flatMap { forward in
                    [forward, gemm(forward.m, forward.k, forward.n, grouped: forward.kind == .groupedGemm),
                     gemm(forward.k, forward.n, forward.m, grouped: forward.kind == .groupedGemm)].map { var item = $0; item.repeats = forward.repeats; return item }
                }
            }
            // A rank's all-to-all per micro-batch: the larger of the rows it sends to and receives
            // from other ranks (its own stay local), as the runtime paces it. Across nodes (the
            // dispatch counted for several), the rows that cross the inter-node hop — the tier
            // that decides the time; the rows inside a node move beside them: on the flat
            // transports one per crossing pair; on the hierarchical one (to each other node's
            // relay) the forward dispatch a token once per other node it reaches, the combine and
            // the backward dispatch a row per crossing pair.
            let hierarchical = task.transport == .hierarchical && dispatch.nodes > 1
            func exchange(_ kind: WorkKind, _ rank: MoEStepDispatch.Rank, backward: Bool = false) -> WorkItem {
                var rows = Double(max(rank.rowsSentToPeers, rank.rowsReceivedFromPeers)) / Double(m)
                if hierarchical {
                    rows = Double(kind == .dispatch && !backward ? max(rank.rowsSentToOtherNodes, rank.rowsRelayedIn)
                                  : max(rank.pairsSentToOtherNodes, rank.pairsRelayedIn)) / Double(m)
                } else if dispatch.nodes > 1 {
                    rows = Double(max(rank.pairsSentToOtherNodes, rank.pairsReceivedFromOtherNodes)) / Double(m)
                }
                var item = collective(kind, .expert, bytes: rows * h * Self.floatBytes, members: hierarchical ? dispatch.nodes : ranks)
                item.m = tokens; item.n = h; item.k = Double(task.topK)
                item.repeats = Int32(clamping: m)
                return item
            }
            let collectives = (0..<(task.backward ? 4 : 2)).map { _ in program.addCollective(members: ranks) }
            for rank in 0..<window.upperBound {
                program.rankStart.append(program.count)
                guard window.contains(rank), dispatch.ranks.indices.contains(rank) else { continue }
                let mine = dispatch.ranks[rank]
                // One SwiGLU FFN (three GEMMs) per received run of rows, runs of equal rows folded.
                let routed = mine.segments.flatMap { run in
                    repeated([gemm(Double(run.rows), f, h, grouped: true), gemm(Double(run.rows), f, h, grouped: true),
                              gemm(Double(run.rows), h, f, grouped: true)], run.segments)
                }
                var last = op(rank, .forward, [gate], after: -1)
                last = op(rank, .dispatch, [exchange(.dispatch, mine)], after: last, collective: collectives[0])
                last = op(rank, .forward, routed + shared, after: last)
                last = op(rank, .combine, [exchange(.combine, mine)], after: last, collective: collectives[1])
                guard task.backward else { continue }
                last = op(rank, .dispatchBackward, [exchange(.dispatch, mine, backward: true)], after: last, collective: collectives[2])
                last = op(rank, .backward, backward(routed + shared), after: last)
                op(rank, .combineBackward, [exchange(.combine, mine)], after: last, collective: collectives[3])
            }
            program.rankStart.append(program.count)
        }

        mutating func batch(_ task: BatchTask, lowering window: Range<Int>) {
            let segment = program.work.append(segment: task.shapes.map { gemm(Double($0.m), Double($0.n), Double($0.k)) })
            for rank in 0..<window.upperBound {
                program.rankStart.append(program.count)
                guard window.contains(rank) else { continue }
                _ = program.append(rank: rank, kind: .pool, microBatch: -1, segment: segment, dependency: -1)
            }
            program.rankStart.append(program.count)
        }
    }
}
