import Foundation
import Testing
import Kernels

@Suite struct CausalAttentionTests {
    /// Plain causal GQA attention in Double: the output and the log-sum-exp (tokens×heads).
    static func reference(q: [Double], k: [Double], v: [Double], shape s: AttentionShape) -> (out: [Double], lse: [Double]) {
        let d = s.headDim, qs = s.heads * d, kvs = s.kvHeads * d, scale = 1 / Double(d).squareRoot()
        var out = [Double](repeating: 0, count: s.tokens * qs), lse = [Double](repeating: 0, count: s.tokens * s.heads)
        for b in 0..<s.batch {
            for h in 0..<s.heads {
                let g = h / (s.heads / s.kvHeads)
                for i in 0..<s.sequence {
                    let qi = (b * s.sequence + i) * qs + h * d
                    let scores = (0...i).map { j in
                        let kj = (b * s.sequence + j) * kvs + g * d
                        return (0..<d).reduce(0.0) { $0 + q[qi + $1] * k[kj + $1] } * scale
                    }
                    let top = scores.max() ?? 0
                    let sum = scores.reduce(0.0) { $0 + Foundation.exp($1 - top) }
                    lse[(b * s.sequence + i) * s.heads + h] = top + Foundation.log(sum)
                    for (j, score) in scores.enumerated() {
                        let p = Foundation.exp(score - top) / sum, vj = (b * s.sequence + j) * kvs + g * d
                        for c in 0..<d { out[qi + c] += p * v[vj + c] }
                    }
                }
            }
        }
        return (out, lse)
    }

    static func forward(_ q: [Float], _ k: [Float], _ v: [Float], _ s: AttentionShape,
                        threads: Int = 1) throws -> (out: [Float], lse: [Float]) {
        var out = [Float](repeating: .nan, count: s.tokens * s.heads * s.headDim)
        var lse = [Float](repeating: .nan, count: s.tokens * s.heads)
        try q.withUnsafeBufferPointer { qp in try k.withUnsafeBufferPointer { kp in try v.withUnsafeBufferPointer { vp in
            try out.withUnsafeMutableBufferPointer { op in try lse.withUnsafeMutableBufferPointer { lp in
                try causalAttentionForward(q: qp, k: kp, v: vp, shape: s, out: op, logSumExp: lp, threads: threads)
            } } } } }
        return (out, lse)
    }

    static func backward(_ q: [Float], _ k: [Float], _ v: [Float], _ o: [Float], _ dO: [Float], _ lse: [Float],
                         _ s: AttentionShape, threads: Int = 1) throws -> (dQ: [Float], dK: [Float], dV: [Float]) {
        var dQ = [Float](repeating: .nan, count: q.count), dK = [Float](repeating: .nan, count: k.count)
        var dV = [Float](repeating: .nan, count: v.count)
        try q.withUnsafeBufferPointer { qp in try k.withUnsafeBufferPointer { kp in try v.withUnsafeBufferPointer { vp in
            try o.withUnsafeBufferPointer { op in try dO.withUnsafeBufferPointer { gp in try lse.withUnsafeBufferPointer { lp in
                try dQ.withUnsafeMutableBufferPointer { a in try dK.withUnsafeMutableBufferPointer { b in
                    try dV.withUnsafeMutableBufferPointer { c in
                        try causalAttentionBackward(q: qp, k: kp, v: vp, out: op, dOut: gp, logSumExp: lp, shape: s,
                                                    dQ: a, dK: b, dV: c, threads: threads)
                    } } } } } } } } }
        return (dQ, dK, dV)
    }

    static func inputs(_ s: AttentionShape, seed: UInt64) -> (q: [Float], k: [Float], v: [Float]) {
        var g = SplitMix64(seed: seed)
        return (ReferenceMath.random(s.tokens * s.heads * s.headDim, &g),
                ReferenceMath.random(s.tokens * s.kvHeads * s.headDim, &g),
                ReferenceMath.random(s.tokens * s.kvHeads * s.headDim, &g))
    }

    static let shapes: [AttentionShape] = [
        AttentionShape(batch: 1, sequence: 1, heads: 1, kvHeads: 1, headDim: 1),
        AttentionShape(batch: 3, sequence: 1, heads: 2, kvHeads: 1, headDim: 4),
        AttentionShape(batch: 1, sequence: 5, heads: 2, kvHeads: 2, headDim: 4),
        AttentionShape(batch: 2, sequence: 4, heads: 4, kvHeads: 1, headDim: 3),
        AttentionShape(batch: 2, sequence: 3, heads: 6, kvHeads: 2, headDim: 5),
        AttentionShape(batch: 1, sequence: 7, heads: 1, kvHeads: 1, headDim: 8),
    ]

    @Test("forward and log-sum-exp match the Double reference", arguments: shapes + [
        AttentionShape(batch: 2, sequence: 70, heads: 4, kvHeads: 2, headDim: 32),
    ])
    func forward(shape: AttentionShape) throws {
        let (q, k, v) = Self.inputs(shape, seed: UInt64(shape.tokens * 31 + shape.heads))
        let (out, lse) = try Self.forward(q, k, v, shape)
        let expected = Self.reference(q: q.map(Double.init), k: k.map(Double.init), v: v.map(Double.init), shape: shape)
        #expect(GradientCheck.maxScaledError(out, expected.out) <= 1e-5)
        #expect(GradientCheck.maxScaledError(lse, expected.lse) <= 1e-5)
    }

    @Test("backward matches central differences of the forward", arguments: shapes)
    func backward(shape: AttentionShape) throws {
        let (q, k, v) = Self.inputs(shape, seed: UInt64(shape.tokens * 7 + shape.kvHeads))
        var g = SplitMix64(seed: 99)
        let dO = ReferenceMath.random(q.count, &g)
        let (out, lse) = try Self.forward(q, k, v, shape)
        let (dQ, dK, dV) = try Self.backward(q, k, v, out, dO, lse, shape)
        let qd = q.map(Double.init), kd = k.map(Double.init), vd = v.map(Double.init)
        let loss = { (q: [Double], k: [Double], v: [Double]) in
            GradientCheck.dot(dO, Self.reference(q: q, k: k, v: v, shape: shape).out)
        }
        #expect(GradientCheck.maxScaledError(dQ, GradientCheck.gradient(at: qd) { loss($0, kd, vd) }) <= 1e-4)
        #expect(GradientCheck.maxScaledError(dK, GradientCheck.gradient(at: kd) { loss(qd, $0, vd) }) <= 1e-4)
        #expect(GradientCheck.maxScaledError(dV, GradientCheck.gradient(at: vd) { loss(qd, kd, $0) }) <= 1e-4)
    }

    @Test("threads do not change the results")
    func threadsAgree() throws {
        let shape = AttentionShape(batch: 3, sequence: 33, heads: 4, kvHeads: 2, headDim: 16)
        let (q, k, v) = Self.inputs(shape, seed: 5)
        var g = SplitMix64(seed: 6)
        let dO = ReferenceMath.random(q.count, &g)
        let one = try Self.forward(q, k, v, shape), four = try Self.forward(q, k, v, shape, threads: 4)
        #expect(one.out == four.out && one.lse == four.lse)
        let b1 = try Self.backward(q, k, v, one.out, dO, one.lse, shape)
        let b4 = try Self.backward(q, k, v, one.out, dO, one.lse, shape, threads: 4)
        #expect(b1.dQ == b4.dQ && b1.dK == b4.dK && b1.dV == b4.dV)
    }

    @Test("a large score does not overflow the softmax")
    func stable() throws {
        let shape = AttentionShape(batch: 1, sequence: 3, heads: 1, kvHeads: 1, headDim: 2)
        let q: [Float] = [100, 100, 100, 100, 100, 100], k: [Float] = [100, 100, 90, 90, 100, 100]
        let v: [Float] = [1, 2, 3, 4, 5, 6]
        let (out, lse) = try Self.forward(q, k, v, shape)
        let expected = Self.reference(q: q.map(Double.init), k: k.map(Double.init), v: v.map(Double.init), shape: shape)
        #expect(out.allSatisfy(\.isFinite) && lse.allSatisfy(\.isFinite))
        // Scores near 1.4·10⁴ carry ~10⁻³ of Float rounding, which the probabilities inherit.
        #expect(GradientCheck.maxScaledError(out, expected.out) <= 1e-3)
    }

    @Test("bad shapes are thrown errors", arguments: [
        AttentionShape(batch: 1, sequence: 2, heads: 3, kvHeads: 2, headDim: 2),
        AttentionShape(batch: 0, sequence: 2, heads: 2, kvHeads: 2, headDim: 2),
        AttentionShape(batch: 1, sequence: 2, heads: 2, kvHeads: 0, headDim: 2),
        AttentionShape(batch: 1, sequence: Int.max, heads: 2, kvHeads: 2, headDim: 2),
    ])
    func badShape(shape: AttentionShape) {
        var out: [Float] = [0], lse: [Float] = [0]
        let one: [Float] = [1]
        _ = one.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { o in lse.withUnsafeMutableBufferPointer { l in
            #expect(throws: TrainingKernelError.self) {
                try causalAttentionForward(q: p, k: p, v: p, shape: shape, out: o, logSumExp: l)
            }
        } } }
    }

    @Test("a buffer too small is a thrown error")
    func smallBuffer() {
        let shape = AttentionShape(batch: 1, sequence: 2, heads: 2, kvHeads: 1, headDim: 2)
        #expect(throws: TrainingKernelError.self) { _ = try Self.forward([Float](repeating: 0, count: 7), [0, 0, 0, 0], [0, 0, 0, 0], shape) }
    }
}
