import Foundation
import Testing
import Kernels

@Suite struct AdamWTests {
    static func step(_ p: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float], step: Int,
                     _ c: AdamWConfiguration) throws {
        try p.withUnsafeMutableBufferPointer { pp in try g.withUnsafeBufferPointer { gp in
            try m.withUnsafeMutableBufferPointer { mp in try v.withUnsafeMutableBufferPointer { vp in
                try adamWStep(parameters: pp, gradients: gp, firstMoment: mp, secondMoment: vp, step: step, configuration: c)
            } } } }
    }

    /// Two steps on one parameter, worked by hand: lr 0.1, β1 0.9, β2 0.99, ε 1e-8, λ 0.5,
    /// θ₀ = 1, g₁ = 2, g₂ = −1.
    /// Step 1: m = 0.2, v = 0.04, m̂ = 2, v̂ = 4, θ₁ = 1 − 0.05·1 − 0.1·2/(2+ε) = 0.85.
    /// Step 2: m = 0.18 − 0.1 = 0.08, v = 0.0396 + 0.01 = 0.0496, m̂ = 0.08/0.19, v̂ = 0.0496/0.0199,
    /// θ₂ = 0.85·0.95 − 0.1·m̂/(√v̂ + ε).
    @Test("two steps match the hand-computed values")
    func twoSteps() throws {
        let c = AdamWConfiguration(learningRate: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.5)
        var p: [Float] = [1], m: [Float] = [0], v: [Float] = [0]
        try Self.step(&p, [2], &m, &v, step: 1, c)
        #expect(abs(p[0] - 0.85) <= 1e-6 && abs(m[0] - 0.2) <= 1e-7 && abs(v[0] - 0.04) <= 1e-7)
        try Self.step(&p, [-1], &m, &v, step: 2, c)
        let expected = 0.85 * 0.95 - 0.1 * (0.08 / 0.19) / ((0.0496 / 0.0199).squareRoot() + 1e-8)
        #expect(abs(Double(p[0]) - expected) <= 1e-6)
        #expect(abs(m[0] - 0.08) <= 1e-6 && abs(v[0] - 0.0496) <= 1e-6)
    }

    @Test("the SIMD body and the scalar tail agree with a Double reference", arguments: [1, 7, 8, 9, 37])
    func matchesReference(count: Int) throws {
        var g = SplitMix64(seed: UInt64(count))
        let c = AdamWConfiguration(learningRate: 1e-2, weightDecay: 0.1)
        var p = ReferenceMath.random(count, &g), m = ReferenceMath.random(count, &g).map { $0 * 0.1 }
        var v = ReferenceMath.random(count, &g).map { abs($0) * 0.01 }
        let grad = ReferenceMath.random(count, &g)
        let (p0, m0, v0) = (p, m, v)
        try Self.step(&p, grad, &m, &v, step: 3, c)
        for i in 0..<count {
            let mi = 0.9 * Double(m0[i]) + 0.1 * Double(grad[i])
            let vi = 0.999 * Double(v0[i]) + 0.001 * Double(grad[i]) * Double(grad[i])
            let mHat = mi / (1 - Foundation.pow(0.9, 3)), vHat = vi / (1 - Foundation.pow(0.999, 3))
            let pi = Double(p0[i]) * (1 - 1e-3) - 1e-2 * mHat / (vHat.squareRoot() + 1e-8)
            #expect(abs(Double(p[i]) - pi) <= 1e-5 && abs(Double(m[i]) - mi) <= 1e-6 && abs(Double(v[i]) - vi) <= 1e-6)
        }
    }

    @Test("non-finite or out-of-range settings are thrown errors", arguments: [
        AdamWConfiguration(learningRate: .nan), AdamWConfiguration(learningRate: -1),
        AdamWConfiguration(learningRate: .infinity), AdamWConfiguration(learningRate: 1, beta1: 1),
        AdamWConfiguration(learningRate: 1, beta2: -0.1), AdamWConfiguration(learningRate: 1, beta2: .nan),
        AdamWConfiguration(learningRate: 1, epsilon: 0), AdamWConfiguration(learningRate: 1, weightDecay: -1),
        AdamWConfiguration(learningRate: 1, weightDecay: .infinity),
    ])
    func badConfiguration(c: AdamWConfiguration) {
        #expect(throws: TrainingKernelError.self) { try c.validate() }
        var p: [Float] = [1], m: [Float] = [0], v: [Float] = [0]
        #expect(throws: TrainingKernelError.self) { try Self.step(&p, [1], &m, &v, step: 1, c) }
        #expect(p == [1])
    }

    @Test("step 0 and short buffers are thrown errors")
    func badStepAndShape() {
        let c = AdamWConfiguration(learningRate: 1e-3)
        var p: [Float] = [1, 2], m: [Float] = [0, 0], v: [Float] = [0, 0]
        #expect(throws: TrainingKernelError.self) { try Self.step(&p, [1, 1], &m, &v, step: 0, c) }
        #expect(throws: TrainingKernelError.self) { try Self.step(&p, [1], &m, &v, step: 1, c) }
        var shortM: [Float] = [0]
        #expect(throws: TrainingKernelError.self) { try Self.step(&p, [1, 1], &shortM, &v, step: 1, c) }
        #expect(p == [1, 2])
    }
}
