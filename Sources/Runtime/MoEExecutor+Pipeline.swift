import Kernels
import MPIKit

/// Step 5 of ``MoEExecutor/step(_:)``: dispatch, experts, combine — overlapped across
/// micro-batches when there are several: the next micro-batch's dispatch and the previous ones'
/// combines are in flight while the current one's experts compute, and MPI progress is driven
/// between experts.
extension MoEExecutor {
    /// The requests of one step in flight: per micro-batch its dispatch and the time its link
    /// would take (``Pacer``), and the combines started so far.
    struct InFlight {
        var dispatch: [[Request]]
        var dispatchDeadline: [Double]
        var combine: [(request: Request, deadline: Double)] = []

        init(microBatches: Int) {
            dispatch = Array(repeating: [], count: microBatches)
            dispatchDeadline = Array(repeating: 0, count: microBatches)
        }

        /// Every request started so far, dispatches first: tested between experts to drive progress.
        var requests: [Request] { Array(dispatch.joined()) + combine.map(\.request) }
    }

    /// 5. Dispatch, experts, combine for every micro-batch; returns the rows each micro-batch's
    ///    experts received when the step has a backward pass (which needs them), else empty rows.
    func dispatchExpertsAndCombine(_ x: [Float], _ routes: MoEStepRoutes, timer: inout PhaseTimer,
                                   measurement: inout MoEStepMeasurement) throws -> [[Float]] {
        let m = task.microBatches, h = task.hidden, overlap = m > 1
        var savedRows = [[Float]](repeating: [], count: m)
        for batch in 0..<m {
            try buffers[batch].reserve(sendRows: routes.plans[batch].rowCount, receiveRows: routes.receiveCounts[batch].reduce(0, +), hidden: h)
        }
        var inFlight = InFlight(microBatches: m)
        pack(0, x, routes, timer: &timer)
        try startDispatch(0, routes, inFlight: &inFlight, measurement: &measurement)
        for batch in 0..<m {
            var wait = PhaseTimer(trace: trace)
            try wait.measure(.comm, .dispatch) { () throws(MPIError) in
                try Request.waitAll(inFlight.dispatch[batch])
                Pacer.sleep(until: inFlight.dispatchDeadline[batch])
            }
            measurement.dispatchSeconds += wait.comm
            // The next micro-batch's dispatch goes out before this one's experts compute.
            if batch + 1 < m {
                pack(batch + 1, x, routes, timer: &timer)
                try startDispatch(batch + 1, routes, inFlight: &inFlight, measurement: &measurement)
            }
            let received = routes.receiveCounts[batch].reduce(0, +), buffer = buffers[batch]
            if task.backward {
                savedRows[batch] = buffer.receiveRows.withUnsafeBufferPointer { Array($0.prefix(received * h)) }
            }
            let pending = overlap ? inFlight.requests : []
            timer.measure(.compute, .forward) {
                pacer.compute {
                    let rows = routes.rows[batch]
                    rows.receivedRowTable.withUnsafeBufferPointer {
                        layer.expertOutputs(segments: routes.segments[batch], input: $0, output: rows.output,
                                            progress: { for request in pending { _ = try? request.test() } })
                    }
                }
            }
            measurement.rowsReceived += received
            try startCombine(batch, routes, overlap: overlap, inFlight: &inFlight, measurement: &measurement)
        }
        var finalWait = PhaseTimer(trace: trace)
        try finalWait.measure(.comm, .combine) { () throws(MPIError) in
            for pending in inFlight.combine {
                try pending.request.wait()
                Pacer.sleep(until: pending.deadline)
            }
        }
        measurement.combineSeconds += finalWait.comm
        return savedRows
    }

    /// Copies a micro-batch's token rows into its send buffer (and its own rows straight into the
    /// receive buffer). Kernel work on a GPU: timed and paced as compute; only the MPI calls count
    /// as dispatch time.
    private func pack(_ batch: Int, _ x: [Float], _ routes: MoEStepRoutes, timer: inout PhaseTimer) {
        let h = task.hidden, chunk = task.tokens / task.microBatches
        timer.measure(.compute, .forward) {
            pacer.compute {
                routes.plans[batch].pack(x[(batch * chunk * h)..<((batch + 1) * chunk * h)], hidden: h, topK: task.topK,
                                         exchange: routes.exchanges[batch],
                                         send: buffers[batch].sendRows, receive: buffers[batch].receiveRows)
            }
        }
    }

    /// Starts a micro-batch's dispatch (non-blocking) and the clock of its paced link.
    private func startDispatch(_ batch: Int, _ routes: MoEStepRoutes, inFlight: inout InFlight,
                               measurement: inout MoEStepMeasurement) throws(MPIError) {
        let buffer = buffers[batch], exchange = routes.exchanges[batch]
        var start = PhaseTimer(trace: trace)
        try start.measure(.comm, .dispatch) { () throws(MPIError) in
            inFlight.dispatchDeadline[batch] = MPIEnvironment.wallTime
                + linkSeconds(send: routes.plans[batch].sendCounts, receive: routes.receiveCounts[batch])
            inFlight.dispatch[batch] = [try exchange.startDispatch(communicator, send: buffer.sendRows, into: buffer.receiveRows,
                                                                   hidden: task.hidden)]
        }
        measurement.dispatchSeconds += start.comm
    }

    /// Starts a micro-batch's combine: left in flight when micro-batches overlap, else waited for
    /// (and its paced link) at once.
    private func startCombine(_ batch: Int, _ routes: MoEStepRoutes, overlap: Bool, inFlight: inout InFlight,
                              measurement: inout MoEStepMeasurement) throws(MPIError) {
        let buffer = buffers[batch]
        var combineWait = PhaseTimer(trace: trace)
        try combineWait.measure(.comm, .combine) { () throws(MPIError) in
            let deadline = MPIEnvironment.wallTime + linkSeconds(send: routes.receiveCounts[batch], receive: routes.plans[batch].sendCounts)
            let request = try routes.exchanges[batch].startCombine(communicator, expertOutput: buffer.combineSend,
                                                                   into: buffer.combineReceive, hidden: task.hidden)
            if overlap {
                inFlight.combine.append((request, deadline))
            } else {
                try request.wait()
                Pacer.sleep(until: deadline)
            }
        }
        measurement.combineSeconds += combineWait.comm
    }

    /// The seconds the paced link takes for these row counts per peer.
    private func linkSeconds(send: [Int], receive: [Int]) -> Double {
        let rowBytes = task.hidden * MemoryLayout<Float>.size
        return pacer.linkSeconds(sendBytes: send.map { $0 * rowBytes }, receiveBytes: receive.map { $0 * rowBytes })
    }
}
