import Hardware
import MPIKit
import Workload

/// The window transport of ``MoEExecutor`` (``MoETransport/window``): the dispatch writes each
/// row for another rank straight into its receiver's shared-window region (in the forward pass a
/// rank's own rows are not moved), the experts read every row where it lies and write their own
/// output region, the combine reads their outputs where they lie (inside the weighted sum). Two synchronizations
/// per micro-batch and direction; no buffer between a token row and its receiver.
extension MoEExecutor {
    /// Which way rows travel in one exchange.
    enum ExchangeDirection {
        /// Rows to the experts.
        case dispatch
        /// Expert outputs back to the tokens' ranks.
        case combine
    }

    /// The transport `requested` resolves to on `world` whose ranks form the nodes of `layout`,
    /// with the shared-memory communicator its windows use (nil for alltoallv):
    /// `hierarchical` (and `auto`) on several nodes, windows within each node; `window` (and `auto`,
    /// `hierarchical` on one node) when every rank shares one host; else `alltoallv`. Collective.
    static func resolveTransport(_ requested: MoETransport, world: Communicator, layout: NodeLayout) throws(MPIError)
        -> (transport: MoETransport, host: Communicator?) {
        guard requested != .alltoallv, world.size > 1 else { return (.alltoallv, nil) }
        if layout.nodeCount > 1 && requested != .window {
            let node = try world.split(color: layout.nodeOf[world.rank], key: world.rank)
            guard let node else { throw MPIError(function: "MPI_Comm_split", invalidArgument: "a node communicator did not come back") }
            return (.hierarchical, node)
        }
        let host = try world.splitSharedMemory()
        let oneHost = try world.allreduce(array: [host.size == world.size ? 1 : 0], .min)[0] == 1
        return oneHost ? (.window, host) : (.alltoallv, nil)
    }

    /// The node of each rank of `world`: its virtual node of `cluster` (`gpusPerNode` ranks in
    /// rank order) within its host, else its host (numbered by its first rank). Collective.
    static func nodes(world: Communicator, cluster: EmulatedCluster?) throws(MPIError) -> [Int] {
        let host = try world.splitSharedMemory()
        let firstRankOfHost = try host.broadcast(array: [world.rank])[0]
        let hosts = try world.allgather(array: [firstRankOfHost]).map { $0[0] }
        guard let cluster else { return hosts }
        let g = max(1, cluster.gpusPerNode)
        // A virtual node never spans hosts: split where either changes.
        var nodes: [Int] = [], current = -1
        for rank in hosts.indices {
            if rank == 0 || rank / g != (rank - 1) / g || hosts[rank] != hosts[rank - 1] { current += 1 }
            nodes.append(current)
        }
        return nodes
    }

    /// Frees the windows (collective: every rank, after its last step). An executor dropped
    /// without it (a rank failing) leaves them to `MPI_Finalize`, never hangs the others.
    func releaseWindows() throws(MPIError) {
        for window in windows { try window.free() }
    }

    /// Rows from each rank to each rank in micro-batch `batch` (`[source][destination]`), from every
    /// rank's count array (per destination, per micro-batch, per slot).
    static func rowsByRank(_ allCounts: [[Int]], batch: Int, microBatches m: Int, slots: Int) -> [[Int]] {
        allCounts.map { counts in
            (0..<allCounts.count).map { destination in
                let start = (destination * m + batch) * slots
                return counts[start..<(start + slots)].reduce(0, +)
            }
        }
    }

    /// Reserves each micro-batch's buffers (alltoallv) or windows (window: collectively, for the
    /// most rows any rank receives, which `allCounts` tells every rank) and says where its rows go.
    func reserveRows(_ exchanges: [RowExchange], allCounts: [[Int]]) throws(MPIError) -> [MicroBatchRows] {
        let h = task.hidden, m = task.microBatches, slots = balance.placement.slotsPerRank
        var rows: [MicroBatchRows] = []
        for (batch, exchange) in exchanges.enumerated() {
            if windows.isEmpty {
                try buffers[batch].reserve(sendRows: exchange.sendCounts.reduce(0, +), receiveRows: exchange.receiveCounts.reduce(0, +),
                                           hidden: h)
                rows.append(MicroBatchRows(exchange: exchange, buffers: buffers[batch], hidden: h))
            } else {
                let byRank = Self.rowsByRank(allCounts, batch: batch, microBatches: m, slots: slots)
                // The most rows any rank of the window (all ranks, or this rank's node) receives.
                let mine = layout.nodeOf[communicator.rank]
                let most = (0..<byRank.count).filter { transport != .hierarchical || layout.nodeOf[$0] == mine }
                    .map { destination in byRank.reduce(0) { $0 + $1[destination] } }.max() ?? 0
                try windows[batch].reserve(rows: most, hidden: h)
                rows.append(transport == .hierarchical
                            ? MicroBatchRows(exchange: exchange, windows: windows[batch], hidden: h, layout: layout, crossing: crossings[batch])
                            : MicroBatchRows(exchange: exchange, windows: windows[batch], hidden: h))
            }
        }
        return rows
    }

    /// The seconds the paced links take for one micro-batch's exchange.
    func linkSeconds(_ batch: Int, _ routes: MoEStepRoutes, _ direction: ExchangeDirection) -> Double {
        let rowBytes = task.hidden * MemoryLayout<Float>.size
        let sent = routes.plans[batch].sendCounts.map { $0 * rowBytes }, received = routes.receiveCounts[batch].map { $0 * rowBytes }
        return direction == .dispatch ? pacer.linkSeconds(sendBytes: sent, receiveBytes: received)
            : pacer.linkSeconds(sendBytes: received, receiveBytes: sent)
    }

    /// One blocking alltoallv exchange of micro-batch `batch` (the packed rows, or the results),
    /// complete no sooner than `deadline` (the paced link).
    func exchangeRows(_ batch: Int, _ routes: MoEStepRoutes, _ direction: ExchangeDirection, deadline: Double) throws(MPIError) {
        let h = task.hidden, exchange = routes.exchanges[batch], buffer = buffers[batch]
        switch direction {
        case .dispatch: try exchange.startDispatch(communicator, send: buffer.sendRows, into: buffer.receiveRows, hidden: h).wait()
        case .combine: try exchange.startCombine(communicator, expertOutput: buffer.combineSend, into: buffer.combineReceive, hidden: h).wait()
        }
        Pacer.sleep(until: deadline)
    }

    /// A micro-batch's crossing rows between its dispatch and its combine (hierarchical).
    struct CrossingInFlight {
        var exchange: HierarchicalExchange
        var relayed: HierarchicalExchange.Relayed
    }

    /// The dispatch on windows: `fill(pair, target)` writes each kept pair's row (forward: its
    /// token's; backward: its weighted gradient) where it goes — into its receiver's region, or
    /// on hierarchical for another node into a message row to that node's relay, which writes it
    /// there — then the rows are made visible. `perToken`: the rows are the tokens' own (the
    /// forward), so one message row goes per token and node, and this rank's own rows are not
    /// written at all (its experts read them in the token matrix,
    /// ``MicroBatchRows/inputRows(ownFrom:positions:topK:)``); the backward's weighted gradients
    /// are computed per pair and every one is written.
    /// Paced to the emulated links. Returns the crossing rows on hierarchical.
    func windowDispatch(_ batch: Int, _ routes: MoEStepRoutes, perToken: Bool, measurement: inout MoEStepMeasurement,
                        fill: (_ pair: Int, _ target: UnsafeMutablePointer<Float>) -> Void) throws(MPIError) -> CrossingInFlight? {
        let rows = routes.rows[batch], positions = routes.plans[batch].position, h = task.hidden
        let start = MPIEnvironment.wallTime
        guard transport == .hierarchical else {
            rows.pack(positions, skip: { perToken && rows.isOwn($0) }, fill: fill)
            try windows[batch].rowsWritten()
            Pacer.sleep(until: start + linkSeconds(batch, routes, .dispatch))
            return nil
        }
        let crossing = HierarchicalExchange(plan: positions, topK: task.topK, exchange: routes.exchanges[batch], layout: layout,
                                            perToken: perToken)
        let relayed = try crossing.send(communicator, hidden: h, fill: fill)
        rows.pack(positions, skip: { crossing.returnedRow[$0] >= 0 || (perToken && rows.isOwn($0)) }, fill: fill)
        relayed.rows.withUnsafeBufferPointer { landed in
            for entry in relayed.entries {
                rows.rowRegion(entry.destination, row: entry.row).update(from: landed.baseAddress! + entry.message * h, count: h)
            }
        }
        try windows[batch].rowsWritten()
        let inFlight = CrossingInFlight(exchange: crossing, relayed: relayed)
        Pacer.sleep(until: start + hierarchicalLinkSeconds(batch, routes, inFlight, .dispatch))
        if perToken { measurement.interNodeBytesSent += crossing.interNodeBytes(hidden: h) }
        return inFlight
    }

    /// The combine on windows: the experts' outputs made visible; on hierarchical the relays
    /// return the crossing pairs' outputs to their ranks (``CrossingRows``). Paced.
    func windowCombine(_ batch: Int, _ routes: MoEStepRoutes, _ inFlight: CrossingInFlight?) throws(MPIError) {
        let start = MPIEnvironment.wallTime
        try windows[batch].outputsWritten()
        guard let inFlight else {
            Pacer.sleep(until: start + linkSeconds(batch, routes, .combine))
            return
        }
        let rows = routes.rows[batch]
        let returned = try inFlight.exchange.receive(communicator, relayed: inFlight.relayed, hidden: task.hidden) { rows.outputRow($0, row: $1) }
        try crossings[batch].store(returned, returnedRow: inFlight.exchange.returnedRow)
        Pacer.sleep(until: start + hierarchicalLinkSeconds(batch, routes, inFlight, .combine))
    }

    /// The emulated links' time for a hierarchical exchange: between nodes the message rows (the
    /// combine: one row per crossing pair), sent or landed, whichever is more; inside the node the
    /// rows written into (or, combining, read from) other ranks' regions, directly or relayed.
    func hierarchicalLinkSeconds(_ batch: Int, _ routes: MoEStepRoutes, _ inFlight: CrossingInFlight,
                                 _ direction: ExchangeDirection) -> Double {
        let rank = communicator.rank, mine = layout.nodeOf[rank], exchange = routes.exchanges[batch]
        let crossing = inFlight.exchange, relayed = inFlight.relayed
        let rowBytes = Double(task.hidden * MemoryLayout<Float>.size)
        let direct = exchange.sendCounts.indices.reduce(0) { $0 + ($1 != rank && layout.nodeOf[$1] == mine ? exchange.sendCounts[$1] : 0) }
        let relayedOut = relayed.entries.filter { $0.destination != rank }.count
        let relayedIn = relayed.entries.count - relayedOut
        let intraIn = exchange.receiveCounts.reduce(0, +) - exchange.receiveCounts[rank] - relayedIn
        let intra = Double(max(direct + relayedOut, intraIn)) * rowBytes
        let scaleOut = direction == .dispatch
            ? Double(max(crossing.messageCounts.reduce(0, +), relayed.rows.count / max(1, task.hidden))) * rowBytes
            : Double(max(crossing.entryCounts.reduce(0, +), relayed.entries.count)) * rowBytes
        return pacer.linkSeconds(intraNodeBytes: intra, scaleOutBytes: scaleOut)
    }

    /// 5 on windows: per micro-batch, the dispatch (``windowDispatch``; own rows stay in `x`),
    /// experts on this rank's region and its own rows in `x` (``MicroBatchRows/inputRows(ownFrom:positions:topK:)``)
    /// into its output region, the combine (``windowCombine``; the weighted sum reads the
    /// outputs in place). Returns the rows each micro-batch's experts received when the step has a
    /// backward pass, else empty rows.
    func windowDispatchExpertsAndCombine(_ x: [Float], _ routes: MoEStepRoutes, timer: inout PhaseTimer,
                                         measurement: inout MoEStepMeasurement) throws -> [[Float]] {
        let m = task.microBatches, h = task.hidden, k = task.topK, chunk = task.tokens / m
        var savedRows = [[Float]](repeating: [], count: m)
        for batch in 0..<m {
            let rows = routes.rows[batch], positions = routes.plans[batch].position
            try x.withUnsafeBufferPointer { (source) throws(MPIError) in
                let first = source.baseAddress! + batch * chunk * h
                var dispatch = PhaseTimer(trace: trace)
                let inFlight = try dispatch.measure(.comm, .dispatch) { () throws(MPIError) in
                    try windowDispatch(batch, routes, perToken: true, measurement: &measurement) { pair, target in
                        target.update(from: first + (pair / k) * h, count: h)
                    }
                }
                measurement.dispatchSeconds += dispatch.comm
                let input = rows.inputRows(ownFrom: first, positions: positions, topK: k)
                if task.backward { savedRows[batch] = MicroBatchRows.gathered(input, hidden: h) }
                timer.measure(.compute, .forward) {
                    pacer.compute {
                        input.withUnsafeBufferPointer { layer.expertOutputs(segments: routes.segments[batch], input: $0, output: rows.output) }
                    }
                }
                measurement.rowsReceived += rows.receivedRows
                var combine = PhaseTimer(trace: trace)
                try combine.measure(.comm, .combine) { () throws(MPIError) in try windowCombine(batch, routes, inFlight) }
                measurement.combineSeconds += combine.comm
            }
        }
        return savedRows
    }
}
