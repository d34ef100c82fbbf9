#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One AdamW update in place over a parameter slice, with decoupled weight decay
/// (Loshchilov & Hutter; the convention of PyTorch's `AdamW`, where the decay is scaled by the
/// learning rate). For every element, with `t = step`:
///
///     m = β1·m + (1 − β1)·g
///     v = β2·v + (1 − β2)·g²
///     θ = θ − lr·λ·θ − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)
///
/// `parameters`, `gradients`, `firstMoment` (m) and `secondMoment` (v) have the same count
/// (`gradients` and the moments may be longer; only `parameters.count` elements are used). The
/// moments start at zero before step 1. The loop runs eight lanes at a time (SIMD8).
///
/// - Throws: `TrainingKernelError.invalidConfiguration` for a bad configuration or `step < 1`,
///   `.invalidShape` when a buffer is shorter than `parameters`.
public func adamWStep(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                      firstMoment: UnsafeMutableBufferPointer<Float>,
                      secondMoment: UnsafeMutableBufferPointer<Float>,
                      step: Int, configuration c: AdamWConfiguration) throws {
    try c.validate()
    guard step >= 1 else { throw TrainingKernelError.invalidConfiguration("AdamW step must be ≥ 1, got \(step)") }
    let n = parameters.count
    try TrainingKernelError.check("adamWStep", dimensions: [], buffers: [
        ("gradients", gradients.count, (n, 1)), ("firstMoment", firstMoment.count, (n, 1)),
        ("secondMoment", secondMoment.count, (n, 1)),
    ])
    guard n > 0, let p = parameters.baseAddress, let g = gradients.baseAddress,
          let m = firstMoment.baseAddress, let v = secondMoment.baseAddress else { return }
    let t = Double(step)
    let stepSize = Float(Double(c.learningRate) / (1 - pow(Double(c.beta1), t)))
    let inverseRootCorrection = Float(1 / (1 - pow(Double(c.beta2), t)).squareRoot())
    let keep = 1 - c.learningRate * c.weightDecay
    let b1 = c.beta1, b2 = c.beta2, eps = c.epsilon
    let lanes = 8, whole = n / lanes * lanes
    var i = 0
    while i < whole {
        let gi = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
        var mi = UnsafeRawPointer(m + i).loadUnaligned(as: SIMD8<Float>.self)
        var vi = UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Float>.self)
        var pi = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        mi = (mi * b1).addingProduct(gi, 1 - b1)
        vi = (vi * b2).addingProduct(gi * gi, 1 - b2)
        let denominator = (vi.squareRoot() * inverseRootCorrection) + eps
        pi = (pi * keep) - stepSize * mi / denominator
        UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(p + i).storeBytes(of: pi, as: SIMD8<Float>.self)
        i += lanes
    }
    while i < n {
        let gi = g[i]
        m[i] = b1 * m[i] + (1 - b1) * gi
        v[i] = b2 * v[i] + (1 - b2) * gi * gi
        p[i] = p[i] * keep - stepSize * m[i] / (v[i].squareRoot() * inverseRootCorrection + eps)
        i += 1
    }
}
