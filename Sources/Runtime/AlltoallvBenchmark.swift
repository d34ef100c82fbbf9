import Foundation
import Kernels
import MPIKit
import Planner
import Reports

/// `frugal bench alltoallv`: the MoE dispatch + combine path (pack rows by destination and expert
/// slot — own rows straight to the receive buffer —, `MPI_Ialltoallv` of the other ranks' rows,
/// experts in place on the receive buffer, `MPI_Ialltoallv` back, combine reading each row where
/// it is), exactly as ``MoEExecutor`` runs it, against two bare blocking `MPI_Alltoallv` calls on
/// preallocated buffers with the same per-peer byte counts, in the same run. Rows go to uniformly
/// random ranks (seeded).
///
/// A copy-count model of one host, printed with the table: with one thread per rank, every copy
/// at the same single-core speed and the data in DRAM, time is proportional to the bytes each
/// rank copies. Per direction and per byte a rank sends, a bare Alltoallv copies its own block
/// (MPI's self-copy, 1/n) and the others' once each with a single-copy transport (CMA/XPMEM:
/// (n−1)/n) or twice with copy-in/copy-out through shared memory (sender into a fragment,
/// receiver out of it: 2(n−1)/n); the path adds the pack (and the combine's read) of every row
/// but moves its own block only there. Round trip: bare 2 or 2(2n−1)/n, path 2 + 2(n−1)/n or
/// 2 + 4(n−1)/n, so the ratio is about `n/(2n−1)` (0.67 at 2 ranks) or `(2n−1)/(3n−2)` (0.75).
/// The window path copies each row for another rank once into its receiver's region and leaves
/// its own rows where they are, and its combine reads every row once: `(n−1)/n + 1` per byte
/// round trip against the bare call's 2 with CMA, so its ratio is about `2n/(2n−1)` (1.33 at 2
/// ranks, 1.14 at 4). It is a model, not a bound: cache-resident sizes beat it, MPI overheads
/// fall short of it.
///
/// Reported the nccl-tests way, per size S (bytes each rank sends per Alltoallv):
/// `algbw = 2·S / t` (dispatch and combine), `busbw = algbw · (n−1)/n`, time the median over
/// repetitions of the slowest rank; `#wrong` counts rows that did not come back intact.
public struct AlltoallvBenchmark {
    public struct Row: Codable, Sendable {
        public var bytes: Int
        public var rows: Int
        public var bareMicroseconds: Double
        public var pathMicroseconds: Double
        public var bareAlgbwGbPerSecond: Double
        public var bareBusbwGbPerSecond: Double
        public var pathAlgbwGbPerSecond: Double
        public var pathBusbwGbPerSecond: Double
        public var ratio: Double
        /// The one-copy path through shared windows (``WindowBuffers``): rows written straight into
        /// their receivers' regions, the combine reading them where they lie; 0 when the ranks do
        /// not share one host.
        public var windowMicroseconds: Double
        public var windowAlgbwGbPerSecond: Double
        public var windowBusbwGbPerSecond: Double
        /// Window path busbw / bare busbw.
        public var windowRatio: Double
        /// The ratio the copy-count model predicts on one host (see ``AlltoallvBenchmark``) with a
        /// single-copy transport, `n/(2n−1)`, and with copy-in/copy-out, `(2n−1)/(3n−2)`.
        public var modelRatioSingleCopy: Double
        public var modelRatioCopyInOut: Double
        /// The ratio the copy-count model predicts for the window path against a bare call with a
        /// single-copy transport, `2n/(2n−1)`.
        public var modelWindowRatio: Double
        public var wrong: Int
    }

    public var sizes: [Int]
    public var hidden: Int
    public var repetitions: Int
    public var json: Bool
    /// How the window path synchronizes (fence, or lock-all + sync + barrier).
    public var synchronization: WindowSynchronization

    public init(sizes: [Int], hidden: Int = 1024, repetitions: Int = 20, json: Bool = false,
                synchronization: WindowSynchronization = .barrier) {
        self.sizes = sizes
        self.hidden = hidden
        self.repetitions = repetitions
        self.json = json
        self.synchronization = synchronization
    }

    public func run() -> RunExitStatus {
        MPIJob.run { world in
            var rows: [Row] = []
            let host = try world.splitSharedMemory()
            let windows = host.size == world.size ? WindowBuffers(communicator: host, synchronization: synchronization) : nil
            for size in sizes { rows.append(try measure(bytes: size, world: world, windows: windows)) }
            try windows?.free()
            if world.isRoot { print(report(rows, ranks: world.size)) }
            return rows.allSatisfy { $0.wrong == 0 } ? .success : .verificationFailed
        }
    }

    private func measure(bytes: Int, world: Communicator, windows: WindowBuffers?) throws -> Row {
        let traffic = try Traffic(bytes: bytes, hidden: hidden, world: world)
        let bare = try bareExchange(traffic, world: world)
        let (path, output) = try dispatchPath(traffic, world: world)
        let (window, windowOutput) = try windowPath(traffic, world: world, windows: windows)
        for _ in 0..<3 { try bare(); try path(); try window() }   // warm-up
        var times: [[Double]] = [[], [], []]
        for _ in 0..<repetitions {
            for (index, exchange) in [bare, path, window].enumerated() {
                try world.barrier()
                let start = MPIEnvironment.wallTime
                try exchange()
                times[index].append(MPIEnvironment.wallTime - start)
            }
        }
        // The slowest rank's time per repetition.
        let slowest = try times.map { (values) throws(MPIError) in try world.allreduce(array: values, .max) }
        let h = hidden, count = traffic.count, tokens = traffic.tokens
        var wrong = 0
        for buffer in [output] + (windows == nil ? [] : [windowOutput]) {
            let returned = buffer.array
            for row in 0..<count where returned[(row * h)..<((row + 1) * h)] != tokens[(row * h)..<((row + 1) * h)] { wrong += 1 }
        }
        let totalWrong = try world.allreduce(array: [wrong], .sum)[0]

        let seconds = slowest.map { Statistics.median($0) ?? 0 }, ranks = world.size
        let size = Double(count * h * 4), factor = Double(ranks - 1) / Double(ranks)
        let algbw = seconds.map { $0 > 0 ? 2 * size / $0 / 1e9 : 0 }
        let hasWindow = windows != nil
        return Row(bytes: count * h * 4, rows: count, bareMicroseconds: seconds[0] * 1e6, pathMicroseconds: seconds[1] * 1e6,
                   bareAlgbwGbPerSecond: algbw[0], bareBusbwGbPerSecond: algbw[0] * factor,
                   pathAlgbwGbPerSecond: algbw[1], pathBusbwGbPerSecond: algbw[1] * factor, ratio: seconds[0] / seconds[1],
                   windowMicroseconds: hasWindow ? seconds[2] * 1e6 : 0, windowAlgbwGbPerSecond: hasWindow ? algbw[2] : 0,
                   windowBusbwGbPerSecond: hasWindow ? algbw[2] * factor : 0, windowRatio: hasWindow ? seconds[0] / seconds[2] : 0,
                   modelRatioSingleCopy: Self.modelRatios(ranks: ranks).singleCopy,
                   modelRatioCopyInOut: Self.modelRatios(ranks: ranks).copyInOut,
                   modelWindowRatio: Self.modelRatios(ranks: ranks).window, wrong: totalWrong)
    }

    /// One size's rows: each of this rank's `count` rows (`hidden` floats, distinct values) goes to
    /// a seeded random rank, one "expert" per rank; the plan and the counts every rank receives.
    struct Traffic {
        let count: Int
        let tokens: [Float]
        let plan: DispatchPlan
        let receiveCounts: [Int]
        /// Every rank's rows to every rank, `[source][destination]` (what the window path needs).
        let rowsByRank: [[Int]]
        var received: Int { receiveCounts.reduce(0, +) }

        init(bytes: Int, hidden h: Int, world: Communicator) throws(MPIError) {
            let ranks = world.size, rank = world.rank
            count = max(1, bytes / (h * MemoryLayout<Float>.size))
            let placement = ExpertPlacement(experts: ranks, ranks: ranks)
            var state = UInt64(rank + 1) &* 0x9E37_79B9_7F4A_7C15
            let destinations = (0..<count).map { _ -> Int32 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int32((state >> 33) % UInt64(ranks))
            }
            tokens = (0..<(count * h)).map { Float(rank * 1_000_000 + $0) }
            plan = DispatchPlan(expertIDs: destinations, topK: 1, keep: Array(repeating: true, count: count),
                                placement: placement, firstToken: rank * count)
            var receiveCounts = [Int](repeating: 0, count: ranks)
            try plan.sendCounts.withUnsafeBufferPointer { (s) throws(MPIError) in
                try receiveCounts.withUnsafeMutableBufferPointer { (r) throws(MPIError) in try world.alltoall(s, into: r) }
            }
            self.receiveCounts = receiveCounts
            rowsByRank = try world.allgather(array: plan.sendCounts)
        }
    }

    /// Bare: preallocated buffers, the same per-peer counts, there and back with blocking `MPI_Alltoallv`.
    private func bareExchange(_ traffic: Traffic, world: Communicator) throws(MPIError) -> () throws(MPIError) -> Void {
        let h = hidden
        let sendElements = traffic.plan.sendCounts.map { $0 * h }, receiveElements = traffic.receiveCounts.map { $0 * h }
        let bareSend = try CommBuffer<Float>.make(count: traffic.count * h), bareReceive = try CommBuffer<Float>.make(count: traffic.received * h)
        return { () throws(MPIError) in
            try bareSend.withUnsafeBufferPointer { (send) throws(MPIError) in
                try bareReceive.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                    try world.alltoallv(send, counts: sendElements, into: receive, counts: receiveElements)
                }
            }
            try bareReceive.withUnsafeBufferPointer { (send) throws(MPIError) in
                try bareSend.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                    try world.alltoallv(send, counts: receiveElements, into: receive, counts: sendElements)
                }
            }
        }
    }

    /// Path: what the MoE executor does around the same two exchanges — pack rows by
    /// (destination, slot), own rows straight into the receive buffer (``RowExchange``); the
    /// experts read and write the receive buffer in place (no compute here: the rows go straight
    /// back); the combine reads each pair's row where it is (returned, or for own rows where the
    /// experts left it) and writes it into its token (as the weighted sum does). Returns the path
    /// and the buffer the tokens end up in.
    private func dispatchPath(_ traffic: Traffic, world: Communicator) throws(MPIError)
        -> (path: () throws(MPIError) -> Void, output: CommBuffer<Float>) {
        let h = hidden, count = traffic.count, plan = traffic.plan, tokens = traffic.tokens
        let exchange = RowExchange(sendCounts: plan.sendCounts, receiveCounts: traffic.receiveCounts, rank: world.rank)
        let buffers = DispatchBuffers()
        try buffers.reserve(sendRows: count, receiveRows: traffic.received, hidden: h)
        let output = try CommBuffer<Float>.make(count: count * h)
        let path = { () throws(MPIError) in
            plan.pack(tokens[...], hidden: h, topK: 1, exchange: exchange, send: buffers.sendRows, receive: buffers.receiveRows)
            try exchange.startDispatch(world, send: buffers.sendRows, into: buffers.receiveRows, hidden: h).wait()
            try exchange.startCombine(world, expertOutput: buffers.receiveRows, into: buffers.combineReceive, hidden: h).wait()
            buffers.combineReceive.withUnsafeBufferPointer { returned in
                buffers.receiveRows.withUnsafeBufferPointer { expertOutput in
                    output.withUnsafeMutableBufferPointer { out in
                        for token in 0..<count {
                            let source = exchange.resultRow(plan.position[token], returned: returned.baseAddress!,
                                                            expertOutput: expertOutput.baseAddress!, hidden: h)
                            (out.baseAddress! + token * h).update(from: source, count: h)
                        }
                    }
                }
            }
        }
        return (path, output)
    }

    /// Window path: what ``MoEExecutor``'s forward does on the window transport — each row for
    /// another rank written once, straight into its receiver's region at the offset the counts
    /// give, synchronize; this rank's own rows are not moved at all (its experts read them in the
    /// token matrix: ``MicroBatchRows/inputRows(ownFrom:positions:topK:)``). The combine reads each
    /// pair's row where the experts read it (with no experts here the rows go straight back: in
    /// the receiver's region, own rows in the token matrix) into its token; synchronize again so
    /// the next round's writes do not overtake the reads. No buffer stands between the token rows
    /// and their receivers. A no-op where the ranks do not share one host.
    private func windowPath(_ traffic: Traffic, world: Communicator, windows: WindowBuffers?) throws(MPIError)
        -> (path: () throws(MPIError) -> Void, output: CommBuffer<Float>) {
        let h = hidden, count = traffic.count, plan = traffic.plan, tokens = traffic.tokens
        let output = try CommBuffer<Float>.make(count: count * h)
        guard let windows else { return ({ () throws(MPIError) in }, output) }
        let exchange = RowExchange(rows: traffic.rowsByRank, rank: world.rank)
        try windows.reserve(rows: (0..<world.size).map { d in traffic.rowsByRank.reduce(0) { $0 + $1[d] } }.max() ?? 0, hidden: h)
        let rows = MicroBatchRows(exchange: exchange, windows: windows, hidden: h)
        let rowBytes = h * MemoryLayout<Float>.stride
        let source = try CommBuffer<Float>.make(count: tokens.count)
        source.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: tokens, count: tokens.count) }
        let path = { () throws(MPIError) in
            source.withUnsafeBufferPointer { source in
                let first = source.baseAddress!
                rows.pack(plan.position, skip: rows.isOwn) { token, target in target.update(from: first + token * h, count: h) }
            }
            try windows.rowsWritten()
            source.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { out in
                    let first = source.baseAddress!, target = out.baseAddress!
                    // Where token `t`'s row is now: as the MoE combine does (``MoELayer``), the next
                    // token's row and output row are prefetched.
                    func row(_ token: Int) -> UnsafePointer<Float> {
                        let (rank, row) = exchange.remoteRow(plan.position[token])
                        return rank == exchange.rank ? first + token * h : UnsafePointer(rows.rowRegion(rank, row: row))
                    }
                    for token in 0..<count {
                        if token + 1 < count {
                            RowPrefetch.forReading(row(token + 1), bytes: rowBytes)
                            RowPrefetch.forWriting(target + (token + 1) * h, bytes: rowBytes)
                        }
                        (target + token * h).update(from: row(token), count: h)
                    }
                }
            }
            try windows.rowsWritten()
        }
        return (path, output)
    }

    /// The copy-count model's ratios on `ranks` ranks of one host: the alltoallv path's, `n/(2n−1)`
    /// with a single-copy transport and `(2n−1)/(3n−2)` with copy-in/copy-out; the window path's
    /// against a single-copy bare call, `2n/(2n−1)`.
    static func modelRatios(ranks: Int) -> (singleCopy: Double, copyInOut: Double, window: Double) {
        let n = Double(ranks)
        return (n / (2 * n - 1), (2 * n - 1) / (3 * n - 2), 2 * n / (2 * n - 1))
    }

    private func report(_ rows: [Row], ranks: Int) -> String {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return String(decoding: (try? encoder.encode(rows)) ?? Data(), as: UTF8.self)
        }
        var text = "# frugal bench alltoallv: \(ranks) ranks, rows of \(hidden) floats, median of \(repetitions), slowest rank\n"
        text += "# dispatch+combine path (pack, Alltoallv, Alltoallv back, unpack; own rows stay off MPI) vs two bare Alltoallv\n"
        let model = Self.modelRatios(ranks: ranks)
        text += String(format: "# copy-count model of one host (see --help): ratio ≈ %.2f with single-copy transfers (CMA), %.2f with copy-in/copy-out\n",
                       model.singleCopy, model.copyInOut)
        text += "# window path (rows for other ranks written into their shared-window regions, own rows left in place, combine reads every row where it is; \(synchronization.rawValue) synchronization): copy-count model w.ratio ≈ \(String(format: "%.2f", model.window))\n"
        text += "#     size(B)     rows   bare(us)   path(us) window(us)  bare busbw  path busbw   win busbw   ratio  w.ratio  #wrong\n"
        for row in rows {
            text += String(format: "%13d %8d %10.1f %10.1f %10.1f %11.2f %11.2f %11.2f %7.2f %8.2f %7d\n", row.bytes, row.rows,
                           row.bareMicroseconds, row.pathMicroseconds, row.windowMicroseconds, row.bareBusbwGbPerSecond,
                           row.pathBusbwGbPerSecond, row.windowBusbwGbPerSecond, row.ratio, row.windowRatio, row.wrong)
        }
        return text + "# bandwidths in GB/s (1e9 B/s); ratio = path busbw / bare busbw, w.ratio = window path busbw / bare busbw"
    }
}
