import Foundation
import Testing
import Kernels

@Suite struct SwiGLUBackwardTests {
    /// `Σ c ⊙ SwiGLU(x)` in Double, the loss whose gradients the backward must give.
    static func loss(x: [Double], w1: [Double], w3: [Double], w2: [Double], c: [Float], m: Int, h: Int, f: Int) -> Double {
        var total = 0.0
        for r in 0..<m {
            var gated = [Double](repeating: 0, count: f)
            for j in 0..<f {
                var a1 = 0.0, a3 = 0.0
                for i in 0..<h { a1 += x[r * h + i] * w1[i * f + j]; a3 += x[r * h + i] * w3[i * f + j] }
                gated[j] = a1 / (1 + exp(-a1)) * a3
            }
            for o in 0..<h {
                var y = 0.0
                for j in 0..<f { y += gated[j] * w2[j * h + o] }
                total += Double(c[r * h + o]) * y
            }
        }
        return total
    }

    static func backward(x: [Float], c: [Float], w1: [Float], w3: [Float], w2: [Float], m: Int, h: Int, f: Int,
                         initial: Float = 0) throws -> (dX: [Float], dW1: [Float], dW3: [Float], dW2: [Float]) {
        var dX = [Float](repeating: .nan, count: m * h)
        var dW1 = [Float](repeating: initial, count: h * f), dW3 = dW1, dW2 = [Float](repeating: initial, count: f * h)
        try x.withUnsafeBufferPointer { xp in try c.withUnsafeBufferPointer { cp in
            try w1.withUnsafeBufferPointer { a in try w3.withUnsafeBufferPointer { b in try w2.withUnsafeBufferPointer { d in
                try dX.withUnsafeMutableBufferPointer { dx in try dW1.withUnsafeMutableBufferPointer { g1 in
                    try dW3.withUnsafeMutableBufferPointer { g3 in try dW2.withUnsafeMutableBufferPointer { g2 in
                        try swigluBackward(x: xp, dOut: cp, tokens: m, hidden: h, intermediate: f, w1: a, w3: b, w2: d,
                                           dX: dx, dW1: g1, dW3: g3, dW2: g2)
                    } } } } } } } } }
        return (dX, dW1, dW3, dW2)
    }

    @Test("dX, dW1, dW3, dW2 match central differences", arguments: [(1, 1, 1), (3, 4, 5), (7, 6, 9)])
    func matchesFiniteDifferences(shape: (Int, Int, Int)) throws {
        let (m, h, f) = shape
        var g = SplitMix64(seed: UInt64(m * 100 + h * 10 + f))
        let x = ReferenceMath.random(m * h, &g), w1 = ReferenceMath.random(h * f, &g)
        let w3 = ReferenceMath.random(h * f, &g), w2 = ReferenceMath.random(f * h, &g), c = ReferenceMath.random(m * h, &g)
        let got = try Self.backward(x: x, c: c, w1: w1, w3: w3, w2: w2, m: m, h: h, f: f)
        let xd = x.map(Double.init), a = w1.map(Double.init), b = w3.map(Double.init), d = w2.map(Double.init)
        let tolerance = 1e-4
        #expect(GradientCheck.maxScaledError(got.dX, GradientCheck.gradient(at: xd) {
            Self.loss(x: $0, w1: a, w3: b, w2: d, c: c, m: m, h: h, f: f) }) <= tolerance)
        #expect(GradientCheck.maxScaledError(got.dW1, GradientCheck.gradient(at: a) {
            Self.loss(x: xd, w1: $0, w3: b, w2: d, c: c, m: m, h: h, f: f) }) <= tolerance)
        #expect(GradientCheck.maxScaledError(got.dW3, GradientCheck.gradient(at: b) {
            Self.loss(x: xd, w1: a, w3: $0, w2: d, c: c, m: m, h: h, f: f) }) <= tolerance)
        #expect(GradientCheck.maxScaledError(got.dW2, GradientCheck.gradient(at: d) {
            Self.loss(x: xd, w1: a, w3: b, w2: $0, c: c, m: m, h: h, f: f) }) <= tolerance)
    }

    @Test("weight gradients accumulate; dX is overwritten")
    func accumulates() throws {
        let (m, h, f) = (4, 5, 6)
        var g = SplitMix64(seed: 9)
        let x = ReferenceMath.random(m * h, &g), w1 = ReferenceMath.random(h * f, &g)
        let w3 = ReferenceMath.random(h * f, &g), w2 = ReferenceMath.random(f * h, &g), c = ReferenceMath.random(m * h, &g)
        let fresh = try Self.backward(x: x, c: c, w1: w1, w3: w3, w2: w2, m: m, h: h, f: f)
        let onTop = try Self.backward(x: x, c: c, w1: w1, w3: w3, w2: w2, m: m, h: h, f: f, initial: 1)
        #expect(ReferenceMath.maxAbsDiff(onTop.dX, fresh.dX) == 0)
        #expect(ReferenceMath.maxAbsDiff(onTop.dW1, fresh.dW1.map { $0 + 1 }) <= 1e-6)
        #expect(ReferenceMath.maxAbsDiff(onTop.dW2, fresh.dW2.map { $0 + 1 }) <= 1e-6)
    }

    @Test("an undersized buffer is an error, not a trap")
    func refusesShortBuffers() throws {
        #expect(throws: TrainingKernelError.self) {
            try Self.backward(x: [1, 2], c: [1, 2, 3], w1: [1], w3: [1], w2: [1], m: 3, h: 1, f: 1)
        }
    }
}
