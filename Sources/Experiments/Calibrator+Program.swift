import Foundation
import Hardware
import Kernels
import MPIKit
import Reports

/// What `frugal calibrate --job` adds: the job's own work (``CalibrationTargets``) measured with
/// every rank working at once — attention kernels and memory-bound kernels at the programs'
/// shapes (as efficiencies the cost model reads), and the programs' collectives at their sizes.
public struct ProgramCalibration: Codable, Sendable {
    /// An attention kernel's measured seconds and the FLOPs the program counts for it.
    public struct AttentionPoint: Codable, Sendable {
        public var tokens: Int, heads: Int, kvHeads: Int, headDim: Int
        public var forwardSeconds: Double, backwardSeconds: Double
        public var forwardFlops: Double, backwardFlops: Double
    }
    /// A memory-bound kernel's measured seconds and the bytes the program counts for it.
    public struct MemoryPoint: Codable, Sendable {
        public var kernel: String
        public var rows: Int, width: Int
        public var seconds: Double
        public var programBytes: Double
    }

    public var attention: [AttentionPoint] = []
    public var memory: [MemoryPoint] = []
    /// One-way rank 0 → 1 times at the pipeline transfers' sizes.
    public var pointToPoint: [CalibrationMeasurement.TransferPoint] = []
    /// The slowest rank's median time of an all-to-all moving `bytes` from each rank (split evenly over the peers).
    public var allToAll: [CalibrationMeasurement.TransferPoint] = []
    /// The slowest rank's median time of a reduce-scatter of `bytes` per rank.
    public var reduceScatter: [CalibrationMeasurement.TransferPoint] = []
    /// The slowest rank's median time of an all-gather of a total of `bytes`.
    public var allGather: [CalibrationMeasurement.TransferPoint] = []

    /// The memory-bound kernels' program bytes over their time, per second (nil without any):
    /// the common rate of the kernels not measured apart. The activation is left out (on a core
    /// it is compute-bound, unlike the streams it would stand for: residual adds, permutations).
    public var memoryKernelGbPerSecond: Double? {
        let streams = memory.filter { Self.family(of: $0.kernel) != .activation }
        let seconds = streams.reduce(0) { $0 + $1.seconds }, bytes = streams.reduce(0) { $0 + $1.programBytes }
        return seconds > 0 && bytes > 0 ? bytes / seconds / 1e9 : nil
    }

    /// Each measured family's program bytes over its time, per second.
    public var memoryKernelGbPerSecondByFamily: [MemoryKernelFamily: Double] {
        var totals: [MemoryKernelFamily: (bytes: Double, seconds: Double)] = [:]
        for point in memory {
            guard let family = Self.family(of: point.kernel) else { continue }
            let total = totals[family] ?? (0, 0)
            totals[family] = (total.bytes + point.programBytes, total.seconds + point.seconds)
        }
        return totals.compactMapValues { $0.seconds > 0 && $0.bytes > 0 ? $0.bytes / $0.seconds / 1e9 : nil }
    }

    /// The family of a measured kernel (``MemoryPoint/kernel``, a ``CalibrationTargets/MemoryKernel/Kind`` raw value).
    static func family(of kernel: String) -> MemoryKernelFamily? {
        switch CalibrationTargets.MemoryKernel.Kind(rawValue: kernel) {
        case .rmsNorm: return .norm
        case .crossEntropy: return .loss
        case .adamW: return .optimizer
        case .swiglu: return .activation
        case nil: return nil
        }
    }

    /// The attention kernels' program FLOPs over their time (forward, backward), GFLOP/s.
    public var attentionGflops: (forward: Double, backward: Double)? {
        let forward = attention.reduce(0) { $0 + $1.forwardSeconds }, backward = attention.reduce(0) { $0 + $1.backwardSeconds }
        guard forward > 0, backward > 0 else { return nil }
        return (attention.reduce(0) { $0 + $1.forwardFlops } / forward / 1e9, attention.reduce(0) { $0 + $1.backwardFlops } / backward / 1e9)
    }
}

extension Calibrator {
    /// Measures `targets`' attention and memory-bound kernels and collectives on `world`.
    func measureProgram(_ world: Communicator, targets: CalibrationTargets) throws -> ProgramCalibration {
        var result = ProgramCalibration()
        for attention in targets.attention { result.attention.append(try attentionPoint(world, attention)) }
        for kernel in targets.memoryKernels {
            let buffers = MemoryKernelRun(kernel)
            try buffers.run()   // warm: pages touched, caches as a step leaves them
            let seconds = try Self.slowestMedian(world, repetitions: 7) { try buffers.run() }
            result.memory.append(.init(kernel: kernel.kind.rawValue, rows: kernel.rows, width: kernel.width, seconds: seconds,
                                       programBytes: kernel.programBytes))
        }
        guard world.size > 1 else { return result }
        result.pointToPoint = try pointToPoint(world, sizes: targets.pointToPointBytes)
        for bytes in targets.allToAllBytes { result.allToAll.append(.init(bytes: bytes, seconds: try allToAllSeconds(world, bytes: bytes))) }
        for bytes in targets.reduceScatterBytes {
            // The size moved: whole floats, an equal block per rank (as the all-gather records it).
            let moved = max(1, bytes / 4 / world.size) * world.size * 4
            result.reduceScatter.append(.init(bytes: moved, seconds: try reduceScatterSeconds(world, bytes: bytes)))
        }
        for bytes in targets.allGatherBytes {
            let per = max(1, bytes / 4 / world.size)
            let send = CommBuffer<Float>(count: per), receive = CommBuffer<Float>(count: per * world.size)
            var scrub = CacheScrub()
            let seconds = try Self.slowestMedian(world, repetitions: 10, prepare: { scrub.run(); CacheScrub.rewrite(send) }) {
                try world.allgatherNonblocking(send, into: receive).wait()
            }
            result.allGather.append(.init(bytes: per * world.size * 4, seconds: seconds))
        }
        return result
    }

    /// The median over `repetitions` of `body`'s time on each rank (all starting together, each
    /// after `prepare`, untimed), the slowest rank's.
    static func slowestMedian(_ world: Communicator, repetitions: Int, prepare: () -> Void = {},
                              _ body: () throws -> Void) throws -> Double {
        var times: [Double] = []
        for _ in 0..<repetitions {
            prepare()
            try world.barrier()
            let start = MPIEnvironment.wallTime
            try body()
            times.append(MPIEnvironment.wallTime - start)
        }
        return try world.allreduce(array: [Statistics.median(times) ?? 0], .max)[0]
    }

    private func attentionPoint(_ world: Communicator, _ target: CalibrationTargets.Attention) throws -> ProgramCalibration.AttentionPoint {
        let shape = target.shape, tokens = shape.tokens
        let q = (0..<(tokens * shape.heads * shape.headDim)).map { Float($0 % 89) / 89 - 0.5 }
        let kv = (0..<(tokens * shape.kvHeads * shape.headDim)).map { Float($0 % 83) / 83 - 0.5 }
        var out = [Float](repeating: 0, count: q.count), logSumExp = [Float](repeating: 0, count: tokens * shape.heads)
        var dQ = q, dK = kv, dV = kv
        let forward = try Self.slowestMedian(world, repetitions: 5) {
            try q.withUnsafeBufferPointer { q in try kv.withUnsafeBufferPointer { kv in
                try out.withUnsafeMutableBufferPointer { o in try logSumExp.withUnsafeMutableBufferPointer { l in
                    try causalAttentionForward(q: q, k: kv, v: kv, shape: shape, out: o, logSumExp: l)
                }}
            }}
        }
        let backward = try Self.slowestMedian(world, repetitions: 5) {
            try q.withUnsafeBufferPointer { q in try kv.withUnsafeBufferPointer { kv in
                try out.withUnsafeBufferPointer { o in try logSumExp.withUnsafeBufferPointer { l in
                    try dQ.withUnsafeMutableBufferPointer { dq in try dK.withUnsafeMutableBufferPointer { dk in
                        try dV.withUnsafeMutableBufferPointer { dv in
                            try causalAttentionBackward(q: q, k: kv, v: kv, out: o, dOut: o, logSumExp: l, shape: shape,
                                                        dQ: dq, dK: dk, dV: dv)
                        }
                    }}
                }}
            }}
        }
        return .init(tokens: tokens, heads: shape.heads, kvHeads: shape.kvHeads, headDim: shape.headDim, forwardSeconds: forward,
                     backwardSeconds: backward, forwardFlops: target.forwardFlops, backwardFlops: target.backwardFlops)
    }

    /// Runs one memory-bound kernel on buffers made once (outside the timed runs).
    private final class MemoryKernelRun {
        let kernel: CalibrationTargets.MemoryKernel
        var x: [Float], y: [Float], m: [Float], v: [Float], weight: [Float], inverse: [Float]
        /// The SwiGLU backward's third operand (a copy of the up-projection).
        var scratch: [Float]
        let targets: [Int32]

        init(_ kernel: CalibrationTargets.MemoryKernel) {
            self.kernel = kernel
            let count = kernel.rows * kernel.width
            x = (0..<count).map { Float($0 % 101) / 101 - 0.5 }
            y = (0..<count).map { Float($0 % 97) / 970 }
            m = kernel.kind == .adamW || kernel.kind == .swiglu ? [Float](repeating: 0, count: count) : []
            v = m
            scratch = kernel.kind == .swiglu ? [Float](repeating: 0, count: count) : []
            weight = [Float](repeating: 1, count: kernel.kind == .rmsNorm ? kernel.width : 0)
            inverse = [Float](repeating: 0, count: kernel.kind == .rmsNorm ? kernel.rows : 0)
            targets = kernel.kind == .crossEntropy ? (0..<kernel.rows).map { Int32($0 % max(1, kernel.width)) } : []
        }

        /// Overwrites `buffer` (as long as `source`) with `source`'s values, without allocating.
        static func refill(_ buffer: inout [Float], from source: [Float]) {
            buffer.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: source) }
        }

        func run() throws {
            let rows = kernel.rows, width = kernel.width
            switch kernel.kind {
            case .rmsNorm:
                try x.withUnsafeBufferPointer { xp in try weight.withUnsafeBufferPointer { w in
                    try y.withUnsafeMutableBufferPointer { yp in try inverse.withUnsafeMutableBufferPointer { ip in
                        try rmsNormForward(x: xp, weight: w, rows: rows, width: width, epsilon: 1e-6, y: yp, inverseRMS: ip)
                    }}
                }}
            case .crossEntropy:
                _ = try x.withUnsafeBufferPointer { xp in try targets.withUnsafeBufferPointer { tp in
                    try y.withUnsafeMutableBufferPointer { yp in
                        try softmaxCrossEntropy(logits: xp, targets: tp, tokens: rows, vocabulary: width, dLogits: yp)
                    }
                }}
            case .swiglu:
                // Forward (m ← x; m = silu(m)·y) then backward (a1 = v ← x, a3 = scratch ← y, dG = m)
                // on fresh copies of fixed inputs: in place and repeated, the values would shrink to
                // denormals. The three copies are timed too, a few per cent of an `expf` per element.
                Self.refill(&m, from: x)
                Self.refill(&v, from: x)
                Self.refill(&scratch, from: y)
                m.withUnsafeMutableBufferPointer { gate in y.withUnsafeBufferPointer { siluMultiply(gate, $0) } }
                v.withUnsafeMutableBufferPointer { a1 in
                    scratch.withUnsafeMutableBufferPointer { a3 in m.withUnsafeMutableBufferPointer { siluMultiplyBackward(a1: a1, a3: a3, dG: $0) } }
                }
            case .adamW:
                try x.withUnsafeMutableBufferPointer { p in try y.withUnsafeBufferPointer { g in
                    try m.withUnsafeMutableBufferPointer { mp in try v.withUnsafeMutableBufferPointer { vp in
                        try adamWStep(parameters: p, gradients: g, firstMoment: mp, secondMoment: vp, step: 1,
                                      configuration: AdamWConfiguration(learningRate: 1e-3))
                    }}
                }}
            }
        }
    }

    /// Rank 0 ↔ 1 ping-pong at `sizes`: half the round trip, the median.
    private func pointToPoint(_ world: Communicator, sizes: [Int]) throws -> [CalibrationMeasurement.TransferPoint] {
        var points: [CalibrationMeasurement.TransferPoint] = []
        for bytes in sizes {
            let buffer = CommBuffer<UInt8>(count: bytes)
            var times: [Double] = []
            for _ in 0..<20 {
                try world.barrier()
                let start = MPIEnvironment.wallTime
                if world.rank == 0 {
                    try world.sendNonblocking(buffer, to: 1, tag: 7).wait()
                    try world.receiveNonblocking(into: buffer, from: 1, tag: 8).wait()
                } else if world.rank == 1 {
                    try world.receiveNonblocking(into: buffer, from: 0, tag: 7).wait()
                    try world.sendNonblocking(buffer, to: 0, tag: 8).wait()
                }
                times.append((MPIEnvironment.wallTime - start) / 2)
            }
            points.append(.init(bytes: bytes, seconds: try world.broadcast(array: [Statistics.median(times) ?? 0])[0]))
        }
        return points
    }

    /// An all-to-all of `bytes` from each rank, split evenly over all ranks (its own share stays).
    private func allToAllSeconds(_ world: Communicator, bytes: Int) throws -> Double {
        let per = max(1, bytes / 4 / world.size)
        let counts = [Int](repeating: per, count: world.size)
        let send = CommBuffer<Float>(count: per * world.size), receive = CommBuffer<Float>(count: per * world.size)
        return try Self.slowestMedian(world, repetitions: 10) {
            try world.alltoallvNonblocking(send, counts: counts, into: receive, counts: counts).wait()
        }
    }

    /// A sum reduce-scatter of `bytes` per rank into equal blocks, as a step runs it: its send
    /// buffer just written (the runtime packs the gradients into it) and the caches holding the
    /// step's other data (``CacheScrub``).
    private func reduceScatterSeconds(_ world: Communicator, bytes: Int) throws -> Double {
        let per = max(1, bytes / 4 / world.size)
        let send = CommBuffer<Float>(count: per * world.size), receive = CommBuffer<Float>(count: per)
        var scrub = CacheScrub()
        return try Self.slowestMedian(world, repetitions: 10, prepare: { scrub.run(); CacheScrub.rewrite(send) }) {
            try send.withUnsafeBufferPointer { s in
                try receive.withUnsafeMutableBufferPointer { r in try world.reduceScatter(s, into: r, .sum) }
            }
        }
    }
}
