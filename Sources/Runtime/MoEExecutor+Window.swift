import Hardware
import MPIKit
import Workload

/// The window transport of ``MoEExecutor`` (``MoETransport/window``): the dispatch writes each
/// row straight into its receiver's shared-window region, the experts compute in place, the
/// combine reads their outputs where they lie (inside the weighted sum). Two synchronizations
/// per micro-batch and direction; no buffer between a token row and its receiver.
extension MoEExecutor {
    /// Which way rows travel in one exchange.
    enum ExchangeDirection {
        /// Rows to the experts.
        case dispatch
        /// Expert outputs back to the tokens' ranks.
        case combine
    }

    /// The transport `requested` resolves to on `world`, with the shared-memory communicator its
    /// windows use (nil for alltoallv). Windows need every rank on one host; `auto` and `window`
    /// fall back to `alltoallv` where ranks span hosts. Collective.
    static func resolveTransport(_ requested: MoETransport, world: Communicator) throws(MPIError)
        -> (transport: MoETransport, host: Communicator?) {
        guard requested != .alltoallv else { return (.alltoallv, nil) }
        let host = try world.splitSharedMemory()
        let oneHost = try world.allreduce(array: [host.size == world.size ? 1 : 0], .min)[0] == 1
        guard oneHost, world.size > 1 else { return (.alltoallv, nil) }
        return (.window, host)
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
                let most = (0..<byRank.count).map { destination in byRank.reduce(0) { $0 + $1[destination] } }.max() ?? 0
                try windows[batch].reserve(rows: most, hidden: h)
                rows.append(MicroBatchRows(exchange: exchange, windows: windows[batch], hidden: h))
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

    /// One blocking exchange of micro-batch `batch`, complete no sooner than `deadline` (the paced
    /// link): alltoallv moves the packed rows (or results) through MPI; on windows they are already
    /// written, and the synchronization makes them visible.
    func exchangeRows(_ batch: Int, _ routes: MoEStepRoutes, _ direction: ExchangeDirection, deadline: Double) throws(MPIError) {
        let h = task.hidden, exchange = routes.exchanges[batch], buffer = buffers[batch]
        switch (direction, windows.isEmpty) {
        case (.dispatch, true): try exchange.startDispatch(communicator, send: buffer.sendRows, into: buffer.receiveRows, hidden: h).wait()
        case (.combine, true): try exchange.startCombine(communicator, expertOutput: buffer.combineSend, into: buffer.combineReceive, hidden: h).wait()
        case (.dispatch, false): try windows[batch].rowsWritten()
        case (.combine, false): try windows[batch].outputsWritten()
        }
        Pacer.sleep(until: deadline)
    }

    /// 5 on windows: per micro-batch, rows written into the receivers' regions and made visible
    /// (dispatch), experts on this rank's region into its output region, outputs made visible
    /// (combine; the weighted sum reads them in place). Returns the rows each micro-batch's experts
    /// received when the step has a backward pass, else empty rows.
    func windowDispatchExpertsAndCombine(_ x: [Float], _ routes: MoEStepRoutes, timer: inout PhaseTimer,
                                         measurement: inout MoEStepMeasurement) throws -> [[Float]] {
        let m = task.microBatches, h = task.hidden, k = task.topK, chunk = task.tokens / m
        var savedRows = [[Float]](repeating: [], count: m)
        for batch in 0..<m {
            let rows = routes.rows[batch], plan = routes.plans[batch]
            var dispatch = PhaseTimer(trace: trace)
            try dispatch.measure(.comm, .dispatch) { () throws(MPIError) in
                let deadline = MPIEnvironment.wallTime + linkSeconds(batch, routes, .dispatch)
                x.withUnsafeBufferPointer { source in
                    let first = source.baseAddress! + batch * chunk * h
                    for (pair, slot) in plan.position.enumerated() where slot >= 0 {
                        rows.packTarget(slot).update(from: first + (pair / k) * h, count: h)
                    }
                }
                try exchangeRows(batch, routes, .dispatch, deadline: deadline)
            }
            measurement.dispatchSeconds += dispatch.comm
            if task.backward { savedRows[batch] = Array(rows.input) }
            timer.measure(.compute, .forward) {
                pacer.compute { layer.expertOutputs(segments: routes.segments[batch], input: rows.input, output: rows.output) }
            }
            measurement.rowsReceived += rows.receivedRows
            var combine = PhaseTimer(trace: trace)
            try combine.measure(.comm, .combine) { () throws(MPIError) in
                try exchangeRows(batch, routes, .combine, deadline: MPIEnvironment.wallTime + linkSeconds(batch, routes, .combine))
            }
            measurement.combineSeconds += combine.comm
        }
        return savedRows
    }
}
