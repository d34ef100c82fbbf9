import Kernels
import Planner
import Testing
import Workload

/// The dispatch planner against the runtime's per-rank functions (``MoERouter``, the capacity
/// rule, ``DispatchPlan``) composed by hand, and its estimate beyond the routing budget.
@Suite struct MoEDispatchPlannerTests {
    static func skewed(capacity: Double? = nil, balance: MoEBalance = .none) -> MoETask {
        MoETask(name: "skewed", tokens: 64, hidden: 32, expertFfnWidth: 16, routedExperts: 8, topK: 2, balance: balance,
                zipf: 1.5, drift: 0.25, steps: 3, microBatches: 2, capacityFactor: capacity, seed: 5)
    }

    /// Rows each rank receives at each step, as each rank's executor computes its sends.
    static func runtimeRows(_ task: MoETask, ranks: Int, steps: Int) throws -> [[Int]] {
        let router = try MoERouter(task: task)
        var balance = MoEBalanceState(task: task, ranks: ranks)
        var result: [[Int]] = []
        for step in 0..<steps {
            let offsets = router.affinityOffsets(step: step)
            let routings = try (0..<ranks).map { rank in
                try router.routeMicroBatches(MoERouter.tokens(task: task, step: step, rank: rank), bias: balance.bias, offsets: offsets)
            }
            let counts = routings.map { batches in (0..<task.routedExperts).map { e in batches.reduce(0) { $0 + $1.tokensPerExpert[e] } } }
            var received = [Int](repeating: 0, count: ranks)
            for source in 0..<ranks {
                let keep = MoERouter.keepMask(task: task, rank: source, routings: routings[source], countsByRank: counts)
                for plan in MoERouter.dispatchPlans(task: task, rank: source, routings: routings[source], keep: keep,
                                                    placement: balance.placement) {
                    for rank in 0..<ranks { received[rank] += plan.sendCounts[rank] }
                }
            }
            balance.record(loads: (0..<task.routedExperts).map { e in counts.reduce(0) { $0 + $1[e] } })
            result.append(received)
        }
        return result
    }

    @Test(arguments: [(nil, MoEBalance.none), (1.2, .auxFree(step: 0.01)), (nil, .eplb(redundantExperts: 4, interval: 1))])
    func everyStepMatchesTheRuntimesDispatch(capacity: Double?, balance: MoEBalance) throws {
        let task = Self.skewed(capacity: capacity, balance: balance)
        var planner = try MoEDispatchPlanner(task: task, ranks: 4)
        let expected = try Self.runtimeRows(task, ranks: 4, steps: 3)
        for step in 0..<3 {
            let dispatch = try planner.next()
            #expect(dispatch.isExact && dispatch.step == step)
            #expect(dispatch.ranks.map(\.rowsReceived) == expected[step])
            #expect(dispatch.loads.reduce(0, +) == 64 * 4 * 2)
            #expect(expected[step].reduce(0, +) == dispatch.loads.reduce(0, +) - dispatch.droppedPairs)
            for rank in dispatch.ranks {
                #expect(rank.segments.reduce(0) { $0 + $1.rows * $1.segments } == rank.rowsReceived)
            }
            #expect(dispatch.ranks.map(\.rowsSentToPeers).reduce(0, +) == dispatch.ranks.map(\.rowsReceivedFromPeers).reduce(0, +))
        }
        // Skew: the ranks do not all receive the same rows.
        #expect(Set(expected[0]).count > 1)
        if capacity != nil {
            var fresh = try MoEDispatchPlanner(task: task, ranks: 4)
            #expect(try fresh.next().droppedPairs > 0)
        }
    }

    /// Beyond the budget a sample of ranks routes; the estimate keeps the totals and the skew.
    @Test func overTheBudgetTheSampleIsScaled() throws {
        let task = Self.skewed()
        var exact = try MoEDispatchPlanner(task: task, ranks: 8)
        // Two ranks fit: each routes 64 tokens × 32 wide × (8 experts + 1), plus 8 slots × 2 micro-batches of counts.
        var sampled = try MoEDispatchPlanner(task: task, ranks: 8, routingBudget: 2 * (64 * 32 * 9 + 8 * 2))
        #expect(sampled.routedRanks == 2)
        let a = try exact.next(), b = try sampled.next()
        #expect(!b.isExact && b.routedRanks == 2)
        #expect(b.loads.reduce(0, +) == 64 * 8 * 2)
        #expect(b.ranks.map(\.rowsReceived).reduce(0, +) == b.loads.reduce(0, +))
        // The busiest rank is the same one (the hottest experts live there).
        let busiest = { (d: MoEStepDispatch) in d.ranks.indices.max { d.ranks[$0].rowsReceived < d.ranks[$1].rowsReceived } }
        #expect(busiest(a) == busiest(b))
    }

    @Test func aTaskThatDoesNotFitIsAShapeError() {
        #expect(throws: MoEDispatchPlanner.ShapeError.self) { try MoEDispatchPlanner(task: Self.skewed(), ranks: 3) }
    }
    /// When one rank alone is over the budget, rank 0's first tokens are the sample (through a
    /// narrowed router when even those do not fit): totals hold and the hot experts stay hot.
    @Test(arguments: [9 * 32 * 256, 9 * 4 * 256])
    func overTheBudgetOnOneRankItsFirstTokensAreTheSample(budget: Int) throws {
        var task = Self.skewed()
        task.tokens = 1024
        var exact = try MoEDispatchPlanner(task: task, ranks: 4)
        var sampled = try MoEDispatchPlanner(task: task, ranks: 4, routingBudget: budget)
        #expect(sampled.routedRanks == 1 && !sampled.routesWholeRanks)
        #expect(sampled.routedTask.tokens == 256 && sampled.routedTask.hidden == min(32, max(1, budget / (256 * 9))))
        let a = try exact.next(), b = try sampled.next()
        #expect(!b.isExact && b.routedTokens == 256)
        #expect(b.loads.reduce(0, +) == 1024 * 4 * 2)
        #expect(b.ranks.map(\.rowsReceived).reduce(0, +) == b.loads.reduce(0, +))
        let hottest = { (d: MoEStepDispatch) in d.loads.indices.max { d.loads[$0] < d.loads[$1] } }
        #expect(hottest(a) == hottest(b))
    }

    /// The largest tasks a job file may hold plan a step within a small multiple of the budget
    /// (a small one here: the debug build generates router weights slowly).
    @Test(arguments: [(16_777_216, 65_536, 65_536), (16_777_216, 65_536, 4), (1, 65_536, 65_536), (4096, 7168, 256)])
    func everyStepFitsTheBudget(tokens: Int, hidden: Int, experts: Int) throws {
        let task = MoETask(name: "huge", tokens: tokens, hidden: hidden, expertFfnWidth: 1, routedExperts: experts, topK: 1)
        let planner = try MoEDispatchPlanner(task: task, ranks: 4, routingBudget: 1 << 20)
        #expect(planner.routingWork <= 2 * planner.budget)
        #expect(planner.router.weights.count <= planner.budget)
    }
}
