import Hardware
import Kernels
import MPIKit
import Planner
import Workload

/// What one rank measured in one MoE step, and its outputs.
struct MoEStepMeasurement {
    var computeSeconds = 0.0
    var dispatchSeconds = 0.0
    var combineSeconds = 0.0
    var otherCommSeconds = 0.0
    var wallSeconds = 0.0
    var bytesSentPerPeer: [Int] = []
    var bytesReceivedPerPeer: [Int] = []
    /// Bytes of rows the dispatch sent to other nodes (see ``MoEExecutor/layout``).
    var interNodeBytesSent = 0
    var rowsReceived = 0
    var rowsReceivedByRank: [Int] = []
    var expertLoads: [Int] = []
    var droppedPairs = 0
    var flops = 0.0
    /// This rank's layer output, tokens × hidden.
    var output: [Float] = []
    /// With `backward`: this rank's input gradient (tokens × hidden), its slots' weight-gradient
    /// checksums, and every expert's (summed over replicas, same on every rank).
    var inputGradient: [Float] = []
    var slotGradientSums: [Double] = []
    var expertGradientSums: [Double] = []

    var exposedCommSeconds: Double { dispatchSeconds + combineSeconds + otherCommSeconds }
}

/// Runs a ``MoETask`` step by step with expert parallelism on `communicator`:
/// route on each rank's tokens → exchange counts → dispatch rows with all-to-all-v → grouped
/// SwiGLU on the local experts → combine with all-to-all-v → weighted sum plus shared experts,
/// tokens back in their original order. With `microBatches > 1` the dispatch of the next
/// micro-batch and the combine of the previous one are in flight (non-blocking) while the
/// experts of the current one compute, and MPI progress is driven between experts.
struct MoEExecutor {
    let task: MoETask
    let communicator: Communicator
    let pacer: Pacer
    private(set) var balance: MoEBalanceState
    private(set) var layer: MoELayer
    /// One set of reusable communication buffers per micro-batch (alltoallv transport).
    let buffers: [DispatchBuffers]
    /// How rows travel (resolved: never `auto`), with its shared windows per micro-batch (window
    /// transports; empty on alltoallv).
    let transport: MoETransport
    let windows: [WindowBuffers]
    /// The ranks' nodes: the job's virtual nodes (`[cluster]` `gpusPerNode`) within hosts, else hosts.
    let layout: NodeLayout
    /// Hierarchical: per micro-batch, the results of the pairs that crossed nodes.
    let crossings: [CrossingRows]
    /// Where the phases' spans go (`--trace`), or nil.
    var trace: TraceRecorder?

    init(task: MoETask, communicator: Communicator, balance: MoEBalanceState, cluster: EmulatedCluster? = nil,
         synchronization: WindowSynchronization = .barrier) throws {
        self.task = task
        self.communicator = communicator
        pacer = Pacer(cluster: cluster, rank: communicator.rank)
        buffers = (0..<task.microBatches).map { _ in DispatchBuffers() }
        layout = NodeLayout(nodeOf: try Self.nodes(world: communicator, cluster: cluster))
        let resolved = try Self.resolveTransport(task.transport, world: communicator, layout: layout)
        transport = resolved.transport
        crossings = transport == .hierarchical ? (0..<task.microBatches).map { _ in CrossingRows() } : []
        windows = resolved.host.map { host in (0..<task.microBatches).map { _ in WindowBuffers(communicator: host, synchronization: synchronization) } } ?? []
        self.balance = balance
        layer = try MoELayer(task: task, heldExperts: balance.placement.experts(on: communicator.rank))
    }

    /// One step: route, dispatch, experts, combine (and with `backward` the backward pass), timed
    /// by phase, then the balance for the next step. Numbered as in the type's description.
    mutating func step(_ step: Int) throws -> MoEStepMeasurement {
        var measurement = MoEStepMeasurement()
        trace?.repetition = step
        try placeExperts()
        let x = MoELayer.tokens(task: task, step: step, rank: communicator.rank)
        try communicator.barrier()
        var timer = PhaseTimer(trace: trace)
        let routings = try route(x, step: step, timer: &timer)                              // 1
        let keep = try capacityMask(routings, measurement: &measurement)                      // 2
        let plans = MoERouter.dispatchPlans(task: task, rank: communicator.rank, routings: routings, keep: keep,
                                            placement: balance.placement)                     // 3
        let routes = try exchangeCounts(routings: routings, plans: plans, measurement: &measurement)   // 4
        let savedRows = windows.isEmpty
            ? try dispatchExpertsAndCombine(x, routes, timer: &timer, measurement: &measurement)     // 5
            : try windowDispatchExpertsAndCombine(x, routes, timer: &timer, measurement: &measurement)
        measurement.output = weightedSums(x, routes, timer: &timer)                           // 6
        if task.backward {
            try backward(step: step, x: x, routes: routes, savedRows: savedRows, timer: &timer, measurement: &measurement)
        }
        measurement.computeSeconds = timer.compute
        try finish(routes, timer: timer, measurement: &measurement)                           // 7
        return measurement
    }

    /// Serve the experts the current placement gives this rank: EPLB may have moved experts
    /// since the last step (their weights come from the seed).
    private mutating func placeExperts() throws {
        let held = balance.placement.experts(on: communicator.rank)
        if layer.heldExperts != held { layer = try MoELayer(task: task, heldExperts: held) }
    }

    /// 1. Route every micro-batch of this rank's tokens.
    private func route(_ x: [Float], step: Int, timer: inout PhaseTimer) throws -> [GatingResult] {
        let offsets = layer.affinityOffsets(step: step)
        var routings: [GatingResult] = []
        try timer.measure(.compute, .forward) {
            try pacer.compute {
                routings = try layer.router.routeMicroBatches(x, bias: balance.bias, offsets: offsets)
            }
        }
        return routings
    }

    /// 2. Global loads (every expert's routed pairs over all ranks), and with a capacity factor
    ///    which of this rank's (token, choice) pairs are kept: the rule needs every rank's counts.
    private func capacityMask(_ routings: [GatingResult], measurement: inout MoEStepMeasurement) throws -> [Bool] {
        let rank = communicator.rank
        var localCounts = [Int](repeating: 0, count: task.routedExperts)
        for routing in routings { for (expert, count) in routing.tokensPerExpert.enumerated() { localCounts[expert] += count } }
        var keep = [Bool](repeating: true, count: task.tokens * task.topK)
        var loadsTimer = PhaseTimer(trace: trace)
        try loadsTimer.measure(.comm, .dispatch) { () throws(MPIError) in
            measurement.expertLoads = try communicator.allreduce(array: localCounts, .sum)
            if task.capacityFactor != nil {
                let all = try communicator.allgather(array: localCounts)
                keep = MoERouter.keepMask(task: task, rank: rank, routings: routings, countsByRank: all)
                let dropped = [keep.filter { !$0 }.count]
                measurement.droppedPairs = try communicator.allreduce(array: dropped, .sum)[0]
            }
        }
        measurement.otherCommSeconds = loadsTimer.comm
        return keep
    }

    /// 4. Exchange counts: block d of the send holds, for every micro-batch, the rows for each of
    ///    rank d's expert slots. The receiver learns its layout: per source, runs by slot.
    private func exchangeCounts(routings: [GatingResult], plans: [DispatchPlan],
                                measurement: inout MoEStepMeasurement) throws -> MoEStepRoutes {
        let ranks = communicator.size, rank = communicator.rank, m = task.microBatches
        let placement = balance.placement, slots = placement.slotsPerRank
        var receiveSlotCounts = [[[Int]]](repeating: [[Int]](repeating: [Int](repeating: 0, count: slots), count: ranks), count: m)
        var allCounts: [[Int]] = []
        var countsTimer = PhaseTimer(trace: trace)
        try countsTimer.measure(.comm, .dispatch) { () throws(MPIError) in
            let send = (0..<ranks).flatMap { peer in
                plans.flatMap { Array($0.slotCounts[(peer * slots)..<((peer + 1) * slots)]) }
            }
            if windows.isEmpty {
                var received = [Int](repeating: 0, count: ranks * m * slots)
                try send.withUnsafeBufferPointer { (s) throws(MPIError) in
                    try received.withUnsafeMutableBufferPointer { (r) throws(MPIError) in try communicator.alltoall(s, into: r) }
                }
                for peer in 0..<ranks {
                    for batch in 0..<m {
                        let start = (peer * m + batch) * slots
                        receiveSlotCounts[batch][peer] = Array(received[start..<(start + slots)])
                    }
                }
            } else {
                // The window transports write into the receivers' regions: every rank needs every
                // rank's counts (where its runs start there, and how large the regions must be).
                allCounts = try communicator.allgather(array: send)
                for peer in 0..<ranks {
                    for batch in 0..<m {
                        let start = (rank * m + batch) * slots
                        receiveSlotCounts[batch][peer] = Array(allCounts[peer][start..<(start + slots)])
                    }
                }
            }
        }
        measurement.dispatchSeconds = countsTimer.comm
        let receiveCounts = receiveSlotCounts.map { batch in batch.map { $0.reduce(0, +) } }
        let exchanges = (0..<m).map { batch in
            allCounts.isEmpty
                ? RowExchange(sendCounts: plans[batch].sendCounts, receiveCounts: receiveCounts[batch], rank: rank)
                : RowExchange(rows: Self.rowsByRank(allCounts, batch: batch, microBatches: m, slots: slots), rank: rank)
        }
        let rows = try reserveRows(exchanges, allCounts: allCounts)
        return MoEStepRoutes(placement: placement, routings: routings, plans: plans, receiveCounts: receiveCounts,
                             exchanges: exchanges, segments: receiveSlotCounts.map(ExpertSegment.segments(counts:)), rows: rows)
    }

    /// 6. Weighted sums plus shared experts, per micro-batch, in original token order.
    private func weightedSums(_ x: [Float], _ routes: MoEStepRoutes, timer: inout PhaseTimer) -> [Float] {
        let h = task.hidden, chunk = task.tokens / task.microBatches
        var output: [Float] = []
        output.reserveCapacity(task.tokens * h)
        timer.measure(.compute, .forward) { pacer.compute {
            for batch in 0..<task.microBatches {
                let rows = routes.rows[batch]
                output += layer.combine(x: x[(batch * chunk * h)..<((batch + 1) * chunk * h)], count: chunk,
                                        routing: routes.routings[batch], position: routes.plans[batch].position) { rows.resultRow($0) }
            }
        } }
        return output
    }

    /// 7. Balance for the next step, and the load picture; then, after the step's clock stopped,
    ///    the bookkeeping for the imbalance figure and the gradient check.
    private mutating func finish(_ routes: MoEStepRoutes, timer: PhaseTimer, measurement: inout MoEStepMeasurement) throws {
        let ranks = communicator.size, h = task.hidden
        balance.record(loads: measurement.expertLoads)
        measurement.bytesSentPerPeer = (0..<ranks).map { peer in routes.plans.reduce(0) { $0 + $1.sendCounts[peer] } * h * 4 }
        measurement.bytesReceivedPerPeer = (0..<ranks).map { peer in routes.receiveCounts.reduce(0) { $0 + $1[peer] } * h * 4 }
        if transport != .hierarchical {
            let rank = communicator.rank
            measurement.interNodeBytesSent = (0..<ranks).reduce(0) { $0 + (layout.nodeOf[$1] == layout.nodeOf[rank] ? 0 : measurement.bytesSentPerPeer[$1]) }
        }
        measurement.wallSeconds = timer.elapsed
        // Per routed row and per token of each shared expert: 3 GEMMs forward; backward recomputes
        // them and adds input and weight gradients (6 more).
        let rowFlops = 6 * Double(task.hidden) * Double(task.expertFfnWidth) * (task.backward ? 4 : 1)
        measurement.flops = 2 * Double(task.tokens * task.hidden * task.routedExperts)
            + Double(measurement.rowsReceived) * rowFlops + Double(task.tokens * task.sharedExperts) * rowFlops
        if task.backward {
            // Slots map to experts by the placement the step ran with (EPLB may just have moved them).
            let placement = routes.placement
            let all = try communicator.allgather(array: measurement.slotGradientSums)
            var perExpert = [Double](repeating: 0, count: task.routedExperts)
            for (rank, sums) in all.enumerated() {
                for (slot, sum) in sums.enumerated() { perExpert[placement.slotExpert[rank * placement.slotsPerRank + slot]] += sum }
            }
            measurement.expertGradientSums = perExpert
        }
        measurement.rowsReceivedByRank = try communicator.allgather(array: [measurement.rowsReceived]).map { $0[0] }
    }
}

/// How one MoE step's rows travel, per micro-batch: the routing, the dispatch plan (rows by
/// destination), the rows received from each rank, the exchange's offsets and the receive
/// buffer's runs by expert slot; and the placement the step ran with.
struct MoEStepRoutes {
    let placement: ExpertPlacement
    let routings: [GatingResult]
    let plans: [DispatchPlan]
    let receiveCounts: [[Int]]
    let exchanges: [RowExchange]
    let segments: [[ExpertSegment]]
    /// Where each micro-batch's rows are packed, received and read back (reserved for this step).
    let rows: [MicroBatchRows]
}

extension MoEExecutor {
    /// The backward pass of one step: output gradients `w · dY` dispatched along the forward
    /// routes, expert backward on the rows each expert saw, input gradients combined back and
    /// summed per token with the shared experts' contribution. Sequential per micro-batch.
    fileprivate func backward(step: Int, x: [Float], routes: MoEStepRoutes, savedRows: [[Float]], timer: inout PhaseTimer,
                              measurement: inout MoEStepMeasurement) throws {
        let rank = communicator.rank, h = task.hidden, k = task.topK, m = task.microBatches, chunk = task.tokens / m
        let dY = MoELayer.outputGradient(task: task, step: step, rank: rank)
        var dX: [Float] = []
        var slotSums = [Double](repeating: 0, count: layer.heldExperts.count)
        for batch in 0..<m {
            let plan = routes.plans[batch], routing = routes.routings[batch], rows = routes.rows[batch]
            let tokenBase = batch * chunk
            let weighted = { (pair: Int, target: UnsafeMutablePointer<Float>) in
                let weight = routing.weights[pair], token = tokenBase + pair / k
                for j in 0..<h { target[j] = weight * dY[token * h + j] }
            }
            // Through windows the pack is the transfer (timed as dispatch); else it is kernel work.
            if !rows.isWindow {
                timer.measure(.compute, .backward) {
                    for (pair, slot) in plan.position.enumerated() where slot >= 0 { weighted(pair, rows.packTarget(slot)) }
                }
            }
            var dispatch = PhaseTimer(trace: trace)
            let inFlight = try dispatch.measure(.comm, .dispatchBackward) { () throws(MPIError) -> CrossingInFlight? in
                if rows.isWindow { return try windowDispatch(batch, routes, perToken: false, measurement: &measurement, fill: weighted) }
                try exchangeRows(batch, routes, .dispatch, deadline: MPIEnvironment.wallTime + linkSeconds(batch, routes, .dispatch))
                return nil
            }
            measurement.dispatchSeconds += dispatch.comm
            timer.measure(.compute, .backward) {
                pacer.compute {
                    savedRows[batch].withUnsafeBufferPointer { saved in
                        layer.expertBackward(segments: routes.segments[batch], rows: saved, dOut: rows.input, dX: rows.output,
                                             gradientSums: &slotSums)
                    }
                }
            }
            var back = PhaseTimer(trace: trace)
            try back.measure(.comm, .combineBackward) { () throws(MPIError) in
                if rows.isWindow { return try windowCombine(batch, routes, inFlight) }
                try exchangeRows(batch, routes, .combine, deadline: MPIEnvironment.wallTime + linkSeconds(batch, routes, .combine))
            }
            measurement.combineSeconds += back.comm
            timer.measure(.compute, .backward) {
                pacer.compute {
                    var part = layer.sharedBackward(x: x[(tokenBase * h)..<((tokenBase + chunk) * h)],
                                                    dY: Array(dY[(tokenBase * h)..<((tokenBase + chunk) * h)]), count: chunk)
                    for token in 0..<chunk {
                        for choice in 0..<k where plan.position[token * k + choice] >= 0 {
                            let source = rows.resultRow(plan.position[token * k + choice])
                            for j in 0..<h { part[token * h + j] += source[j] }
                        }
                    }
                    dX += part
                }
            }
        }
        measurement.inputGradient = dX
        measurement.slotGradientSums = slotSums
    }
}
