import Foundation
import Kernels
import MPIKit
import Reports

/// What `frugal calibrate` measures on this machine, with every rank working at once (as in a
/// real run, ranks share memory bandwidth and caches): one core's FMA peak, GEMM throughput by
/// shape, memory bandwidth, and point-to-point latency and bandwidth between ranks.
public struct CalibrationMeasurement: Codable, Sendable {
    public struct GemmPoint: Codable, Sendable {
        public var m: Int, n: Int, k: Int
        public var gflops: Double
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }
    public struct TransferPoint: Codable, Sendable {
        public var bytes: Int
        public var seconds: Double
    }

    public var ranks: Int
    public var hosts: Int
    /// Median over ranks of one core's FMA throughput, all ranks running.
    public var fmaPeakGflops: Double
    public var gemm: [GemmPoint]
    /// Per rank, all ranks streaming (a triad a = b + s·c over 3 × 32 MiB).
    public var memoryGbPerSecond: Double
    /// Rank 0 ↔ rank 1 ping-pong, one-way time per message size (empty on one rank).
    public var pointToPoint: [TransferPoint]
    /// `MPI_Allgather` of a total of `bytes`, the slowest rank's median (empty on one rank).
    public var allGather: [TransferPoint]
    /// Latency and bandwidth of the rank-to-rank link as collectives see it, fitted from the
    /// all-gather times with the ring model (nil on one rank).
    public var latencySeconds: Double?
    public var linkGbPerSecond: Double?
    /// With `frugal calibrate --job`: the job's own kernels and collectives (``gemm`` then holds
    /// the programs' GEMM shapes, each its own point).
    public var program: ProgramCalibration?
}

/// Measures a ``CalibrationMeasurement`` on `MPI_COMM_WORLD`.
public struct Calibrator {
    public init() {}

    /// Square and MoE-like shapes (m × n × k) around the sizes Frugal's jobs use.
    static let gemmShapes: [(Int, Int, Int)] = [
        (32, 32, 32), (64, 64, 64), (128, 128, 128), (256, 256, 256), (384, 384, 384), (512, 512, 512),
        (768, 768, 768), (1024, 1024, 1024), (256, 512, 512), (768, 384, 384), (384, 320, 448), (2048, 256, 1024),
    ]
    static let transferSizes = [8, 64, 512, 4096, 32768, 262_144, 1 << 20, 4 << 20, 16 << 20]
    /// The largest weight pool a GEMM shape is timed over (beyond any core's caches).
    static let maxWeightPool = 256 << 20

    /// Default ``measure(_:targets:rounds:)`` rounds: enough that a slow spell of the host (a
    /// neighbour's burst, one rank's core briefly shared) lasting one or two rounds drops out.
    public static let defaultRounds = 5

    /// Every measurement, in this order on every rank (each is collective), `rounds` times over;
    /// each figure is the median of its rounds (``CalibrationMeasurement/median(of:)``). With
    /// `targets` (a job's programs, ``CalibrationTargets``), GEMMs at their shapes instead of the
    /// fixed set, and their attention, memory-bound kernels and collectives
    /// (``CalibrationMeasurement/program``).
    public func measure(_ world: Communicator, targets: CalibrationTargets = CalibrationTargets(),
                        rounds: Int = Calibrator.defaultRounds) throws -> CalibrationMeasurement {
        var measured: [CalibrationMeasurement] = []
        for _ in 0..<max(1, rounds) { measured.append(try measureOnce(world, targets: targets)) }
        return CalibrationMeasurement.median(of: measured)
    }

    /// One round of ``measure(_:targets:rounds:)``.
    private func measureOnce(_ world: Communicator, targets: CalibrationTargets) throws -> CalibrationMeasurement {
        let peak = try fmaPeak(world)
        let shapes = targets.gemmShapes.isEmpty ? Self.gemmShapes : targets.gemmShapes.map { ($0.m, $0.n, $0.k) }
        let gemm = try gemmThroughput(world, shapes: shapes, warmWeights: targets.gemmShapes.isEmpty, weightBytes: targets.weightBytes)
        let memory = try memoryBandwidth(world)
        let transfers = world.size > 1 ? try pointToPoint(world) : []
        let allGather = world.size > 1 ? try allGatherTimes(world) : []
        let hosts = try hostCount(world)
        // The link the simulator should use is the one collectives see: from the all-gather times,
        // t = (n−1)·α + (n−1)/n · S / B.
        let steps = Double(world.size - 1), fraction = steps / Double(world.size)
        let normalized = allGather.map { CalibrationMeasurement.TransferPoint(bytes: Int(Double($0.bytes) * fraction), seconds: $0.seconds / 1) }
        var fit = Self.fitLink(normalized)
        if let linear = fit { fit = (linear.latency / max(1, steps), linear.gbPerSecond) }
        let program = targets.isEmpty ? nil : try measureProgram(world, targets: targets)
        return CalibrationMeasurement(ranks: world.size, hosts: max(1, hosts), fmaPeakGflops: peak, gemm: gemm,
                                      memoryGbPerSecond: memory, pointToPoint: transfers, allGather: allGather,
                                      latencySeconds: fit?.latency, linkGbPerSecond: fit?.gbPerSecond, program: program)
    }

    /// One core's FMA peak, all ranks running: the median over ranks of each rank's median of five.
    private func fmaPeak(_ world: Communicator) throws -> Double {
        var samples: [Double] = []
        for _ in 0..<5 {
            try world.barrier()
            let iterations = 4_000_000
            let start = MPIEnvironment.wallTime
            _ = FMAPeak.run(iterations: iterations)
            samples.append(FMAPeak.flops(iterations: iterations) / (MPIEnvironment.wallTime - start) / 1e9)
        }
        return median(try world.allgather(array: [median(samples)]).map { $0[0] })
    }

    /// GEMM throughput by shape, as a run sees it: operands freshly written (the run generates or
    /// receives them just before), so each repetition starts with the caches cold.
    /// Without `warmWeights` (a job's programs), B is not rewritten before each GEMM: it stands for
    /// weights, which a training step reads from memory after the scrub evicted them, while A
    /// (activations) was just written; with `weightBytes` (the rank's weights) each repetition
    /// takes the next B of a ``WeightPool`` that large, so that it comes from beyond the caches as
    /// a step's do — with one B per shape, which the scrub leaves in this VM's L3, the step's GEMMs
    /// ran 7–11 % slower than their calibrated points.
    private func gemmThroughput(_ world: Communicator, shapes: [(Int, Int, Int)], warmWeights: Bool,
                                weightBytes: Int = 0) throws -> [CalibrationMeasurement.GemmPoint] {
        var gemm: [CalibrationMeasurement.GemmPoint] = []
        var scrub = CacheScrub()
        var pool = WeightPool(bytes: warmWeights ? 0 : weightBytes)
        for (m, n, k) in shapes {
            var a = (0..<(m * k)).map { Float($0 % 97) / 97 - 0.5 }, b = (0..<(k * n)).map { Float($0 % 89) / 89 - 0.5 }
            var c = [Float](repeating: 0, count: m * n)
            multiply(a: a, b: b, into: &c, m: m, n: n, k: k)
            var rates: [Double] = []
            let repetitions = max(3, min(20, Int(2e9 / (2 * Double(m * n * k))))), pooled = pool.holds(k * n)
            if pooled { pool.refresh() }
            for repetition in 0..<repetitions {
                scrub.run()
                a[repetition % a.count] += 0
                for index in stride(from: 0, to: a.count, by: 16) { a[index] += 0 }
                if warmWeights { for index in stride(from: 0, to: b.count, by: 16) { b[index] += 0 } }
                try world.barrier()
                let start = MPIEnvironment.wallTime
                if pooled {
                    pool.next(k * n) { weights in
                        a.withUnsafeBufferPointer { a in c.withUnsafeMutableBufferPointer { c in
                            sgemm(m: m, n: n, k: k, a: a, lda: max(1, k), b: weights, ldb: n, c: c, ldc: n)
                        }}
                    }
                } else {
                    multiply(a: a, b: b, into: &c, m: m, n: n, k: k)
                }
                rates.append(2 * Double(m * n * k) / (MPIEnvironment.wallTime - start) / 1e9)
            }
            let all = try world.allgather(array: [median(rates)]).map { $0[0] }
            gemm.append(.init(m: m, n: n, k: k, gflops: median(all)))
        }
        return gemm
    }

    /// Memory bandwidth per rank: a triad over 3 × 32 MiB, every rank at once.
    private func memoryBandwidth(_ world: Communicator) throws -> Double {
        let count = 8 << 20
        var x = [Float](repeating: 1, count: count), y = [Float](repeating: 2, count: count), z = [Float](repeating: 3, count: count)
        var bandwidth: [Double] = []
        for _ in 0..<5 {
            try world.barrier()
            let start = MPIEnvironment.wallTime
            x.withUnsafeMutableBufferPointer { xp in
                y.withUnsafeBufferPointer { yp in
                    z.withUnsafeBufferPointer { zp in
                        for i in 0..<count { xp[i] = yp[i].addingProduct(0.5, zp[i]) }
                    }
                }
            }
            bandwidth.append(3 * Double(count * 4) / (MPIEnvironment.wallTime - start) / 1e9)
        }
        x[0] += y[0] + z[0]
        return median(try world.allgather(array: [median(bandwidth)]).map { $0[0] })
    }

    /// Point to point between ranks 0 and 1 (two or more ranks): half the round trip, rank 0's
    /// medians made known to every rank.
    private func pointToPoint(_ world: Communicator) throws -> [CalibrationMeasurement.TransferPoint] {
        var transfers: [CalibrationMeasurement.TransferPoint] = []
        for bytes in Self.transferSizes {
            let buffer = CommBuffer<UInt8>(count: bytes)
            var times: [Double] = []
            for _ in 0..<(bytes >= 1 << 20 ? 10 : 50) {
                try world.barrier()
                let start = MPIEnvironment.wallTime
                if world.rank == 0 {
                    try world.sendNonblocking(buffer, to: 1, tag: 5).wait()
                    try world.receiveNonblocking(into: buffer, from: 1, tag: 6).wait()
                } else if world.rank == 1 {
                    try world.receiveNonblocking(into: buffer, from: 0, tag: 5).wait()
                    try world.sendNonblocking(buffer, to: 0, tag: 6).wait()
                }
                times.append((MPIEnvironment.wallTime - start) / 2)
            }
            transfers.append(.init(bytes: bytes, seconds: median(times)))
        }
        return try world.broadcast(array: transfers.map(\.seconds)).enumerated().map {
            .init(bytes: Self.transferSizes[$0.offset], seconds: $0.element)
        }
    }

    /// Collectives as MPI runs them (software overhead included), two or more ranks: the slowest
    /// rank's median `MPI_Allgather` time by total size, for the ring fit.
    private func allGatherTimes(_ world: Communicator) throws -> [CalibrationMeasurement.TransferPoint] {
        var allGather: [CalibrationMeasurement.TransferPoint] = []
        for bytes in Self.transferSizes where bytes >= 64 {
            let per = bytes / 4 / world.size
            let send = CommBuffer<Float>(count: max(1, per)), receive = CommBuffer<Float>(count: max(1, per) * world.size)
            var times: [Double] = []
            for _ in 0..<(bytes >= 1 << 20 ? 10 : 30) {
                try world.barrier()
                let start = MPIEnvironment.wallTime
                try world.allgatherNonblocking(send, into: receive).wait()
                times.append(MPIEnvironment.wallTime - start)
            }
            let slowest = try world.allreduce(array: [median(times)], .max)[0]
            allGather.append(.init(bytes: max(1, per) * world.size * 4, seconds: slowest))
        }
        return allGather
    }

    /// The number of distinct host names (on rank 0; other ranks see 0).
    private func hostCount(_ world: Communicator) throws -> Int {
        let name = Array(MPIEnvironment.processorName.utf8.prefix(64))
        return Set(try world.gather(array: name + [UInt8](repeating: 0, count: 64 - name.count))).count
    }

    /// Alpha-beta fit: latency = the smallest message's time; bandwidth = the slope between the
    /// 1 MiB and largest messages (where latency no longer matters).
    static func fitLink(_ points: [CalibrationMeasurement.TransferPoint]) -> (latency: Double, gbPerSecond: Double)? {
        guard let first = points.first, let last = points.last,
              let middle = points.first(where: { $0.bytes >= 1 << 20 }), last.bytes > middle.bytes else { return nil }
        let slope = (last.seconds - middle.seconds) / Double(last.bytes - middle.bytes)
        let gbPerSecond = slope > 0 ? 1 / slope / 1e9 : Double(last.bytes) / last.seconds / 1e9
        return (max(first.seconds, 1e-7), gbPerSecond)
    }
}

/// The median of a list (the mean of the two middle values for even counts), 0 for none.
private func median(_ values: [Double]) -> Double { Statistics.median(values) ?? 0 }
