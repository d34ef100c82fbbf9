import Foundation
import Hardware
import Kernels
import MPIKit
import Planner
import Reports
import Workload

/// What one rank did in a batch task.
struct BatchMeasurement {
    /// (item, seconds in the GEMM, Σ of C) for every item this rank computed.
    var items: [(index: Int, seconds: Double, checksum: Double)] = []
    /// Seconds from the start barrier until this rank had nothing left to do.
    var finishSeconds = 0.0
}

/// Runs a ``BatchTask``: every item is one whole GEMM on one rank, handed out by the task's
/// policy. `static` and `lpt` decide up front (lpt from the GEMM speed: the calibrated one, or
/// a probe all ranks run first); `dynamic` has ranks ask rank 0 for chunks as they finish, rank 0 computing too and
/// answering requests between its own items.
struct BatchExecutor {
    let task: BatchTask
    let communicator: Communicator
    var pacer: Pacer? = nil
    /// Where each item's span goes (`--trace`), or nil.
    var trace: TraceRecorder? = nil

    private static let requestTag = 71, replyTag = 72

    /// Inputs: every item's A and B are the leading blocks of two seeded pools as large as the
    /// largest item needs, so no item allocates or generates inside the timed region.
    private struct InputPool {
        let a: [Float], b: [Float]
        init(task: BatchTask) {
            let generator = MatrixGenerator(seed: task.seed)
            let largestA = task.shapes.map { $0.m * $0.k }.max() ?? 0
            let largestB = task.shapes.map { $0.k * $0.n }.max() ?? 0
            a = generator.values(streamID: 11, count: largestA)
            b = generator.values(streamID: 12, count: largestB)
        }
    }

    /// The GEMM speed of this machine from a probe: GFLOP/s at a few cube sizes, measured on every
    /// rank at once and averaged, so every rank holds the same speed. Used when the run has no
    /// calibrated speed (``RunOptions/gemmSpeed``).
    func measureGemmSpeed() throws -> GemmSpeed {
        let sides = [32, 64, 128, 256]
        var rates: [Double] = []
        for side in sides {
            let a = [Float](repeating: 0.5, count: side * side), b = a
            var c = [Float](repeating: 0, count: side * side)
            multiply(a: a, b: b, into: &c, m: side, n: side, k: side)   // warm-up
            var samples: [Double] = []
            for _ in 0..<3 {
                let start = MPIEnvironment.wallTime
                multiply(a: a, b: b, into: &c, m: side, n: side, k: side)
                samples.append(2 * Double(side * side * side) / max(MPIEnvironment.wallTime - start, 1e-9) / 1e9)
            }
            rates.append(Statistics.median(samples) ?? 0)
        }
        let mean = try communicator.allreduce(array: rates, .sum).map { $0 / Double(communicator.size) }
        let points = zip(sides, mean).map { (flops: 2 * Double($0 * $0 * $0), gflopsPerSecond: $1) }
        // A probe too fast to time (rate infinite) leaves every item predicted alike: a flat speed.
        return GemmSpeed(measured: points)
            ?? GemmSpeed(peakGflopsPerSecond: 1, curve: GemmEfficiencyCurve(points: [.init(sizeGflop: 1, efficiency: 1)], fp8EfficiencyScale: 1,
                                                                          attentionForwardEfficiency: 1, attentionBackwardEfficiency: 1,
                                                                          memoryEfficiency: 1))
    }

    /// Runs the task, ordering and assigning items by their seconds at `speed`.
    func run(speed: GemmSpeed) throws -> BatchMeasurement {
        let pool = InputPool(task: task)
        let ranks = communicator.size, rank = communicator.rank
        var measurement = BatchMeasurement()
        let predicted = task.shapes.map { speed.seconds(flops: $0.flops) }
        // Every item's C has its place in one output buffer allocated (and zeroed) before the
        // clock starts — no allocation between items — and checksums are taken after it stops,
        // so verification costs the schedule nothing. Without verification one scratch C serves.
        var offsets: [Int] = []
        var total = 0
        for shape in task.shapes {
            offsets.append(task.verify ? total : 0)
            if task.verify { total += shape.m * shape.n }
        }
        var outputs = [Float](repeating: 0, count: task.verify ? total : (task.shapes.map { $0.m * $0.n }.max() ?? 0))
        var timings: [(index: Int, seconds: Double)] = []
        timings.reserveCapacity(task.shapes.count)
        try communicator.barrier()
        let start = MPIEnvironment.wallTime
        func compute(_ item: Int) {
            let shape = task.shapes[item]
            let begin = MPIEnvironment.wallTime
            let work = {
                pool.a.withUnsafeBufferPointer { a in
                    pool.b.withUnsafeBufferPointer { b in
                        outputs.withUnsafeMutableBufferPointer { all in
                            let c = UnsafeMutableBufferPointer(rebasing: all[offsets[item]..<(offsets[item] + shape.m * shape.n)])
                            sgemm(m: shape.m, n: shape.n, k: shape.k, a: a, lda: shape.k, b: b, ldb: shape.n, c: c, ldc: shape.n)
                        }
                    }
                }
            }
            if let pacer { pacer.compute(work) } else { work() }
            timings.append((item, MPIEnvironment.wallTime - begin))
            trace?.record(.pool, .compute, from: begin, to: begin + (timings.last?.seconds ?? 0), item: item)
        }

        switch task.policy {
        case .static:
            for item in BatchSchedule.staticAssignment(items: task.shapes.count, ranks: ranks)[rank] { compute(item) }
        case .lpt:
            for item in BatchSchedule.lptAssignment(predictedSeconds: predicted, ranks: ranks)[rank] { compute(item) }
        case .dynamic:
            // Hand out the largest predicted items first; chunks shrink as the queue empties.
            let order = predicted.indices.sorted { predicted[$0] > predicted[$1] || (predicted[$0] == predicted[$1] && $0 < $1) }
            if rank == 0 {
                try coordinate(order: order, predicted: order.map { predicted[$0] }, compute: compute)
            } else {
                // Ask for the next chunk just before the last item of this one, so the answer is
                // there when it is needed even if rank 0 is busy with an item — but not earlier:
                // a chunk taken too soon is work rank 0 could have done (items come largest first).
                let request = CommBuffer<Int64>([Int64(rank)])
                func ask() throws -> (Request, CommBuffer<Int64>) {
                    try communicator.sendNonblocking(request, to: 0, tag: Self.requestTag).wait()
                    let reply = CommBuffer<Int64>(count: 2)
                    return (try communicator.receiveNonblocking(into: reply, from: 0, tag: Self.replyTag), reply)
                }
                var pending = try ask()
                while true {
                    try pending.0.wait()
                    let reply = pending.1
                    if reply[1] == 0 { break }
                    let positions = Array(Int(reply[0])..<Int(reply[0] + reply[1]))
                    var asked = false
                    for (index, position) in positions.enumerated() {
                        if index == positions.count - 1 && positions.count > 1 { pending = try ask(); asked = true }
                        compute(order[position])
                    }
                    if !asked { pending = try ask() }
                }
            }
        }
        measurement.finishSeconds = MPIEnvironment.wallTime - start
        measurement.items = timings.map { timing in
            let shape = task.shapes[timing.index], offset = offsets[timing.index]
            let checksum = task.verify ? outputs[offset..<(offset + shape.m * shape.n)].reduce(0.0) { $0 + Double($1) } : 0
            return (timing.index, timing.seconds, checksum)
        }
        return measurement
    }

    /// Rank 0 in `dynamic`: serve every worker's request for a chunk, computing its own chunks in
    /// between (one item at a time, so a waiting worker waits at most one item), until every
    /// worker has been told there is nothing left.
    private func coordinate(order: [Int], predicted: [Double], compute: (Int) -> Void) throws {
        let ranks = communicator.size
        var next = 0
        var requests: [Int: (request: Request, buffer: CommBuffer<Int64>)] = [:]
        for worker in 1..<max(1, ranks) {
            let buffer = CommBuffer<Int64>(count: 1)
            requests[worker] = (try communicator.receiveNonblocking(into: buffer, from: worker, tag: Self.requestTag), buffer)
        }
        var finished = Set<Int>()
        func takeChunk() -> (start: Int, count: Int) {
            let count = BatchSchedule.dynamicChunk(remainingSeconds: predicted[next...], ranks: ranks)
            defer { next += count }
            return (next, count)
        }
        func serve(blocking: Bool) throws {
            for worker in requests.keys.sorted() {
                guard let pending = requests[worker] else { continue }
                if blocking { try pending.request.wait() } else if try !pending.request.test() { continue }
                let chunk = takeChunk()
                let reply = CommBuffer<Int64>([Int64(chunk.start), Int64(chunk.count)])
                try communicator.sendNonblocking(reply, to: worker, tag: Self.replyTag).wait()
                if chunk.count == 0 {
                    finished.insert(worker)
                    requests[worker] = nil
                } else {
                    let buffer = CommBuffer<Int64>(count: 1)
                    requests[worker] = (try communicator.receiveNonblocking(into: buffer, from: worker, tag: Self.requestTag), buffer)
                }
            }
        }
        while next < order.count {
            try serve(blocking: false)
            let chunk = takeChunk()
            for position in chunk.start..<(chunk.start + chunk.count) {
                compute(order[position])
                try serve(blocking: false)
            }
        }
        while finished.count < ranks - 1 { try serve(blocking: true) }
    }
}
