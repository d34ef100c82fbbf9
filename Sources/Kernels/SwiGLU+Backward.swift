#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The backward pass of the SwiGLU FFN `out = (silu(x · W1) ⊙ (x · W3)) · W2` (see
/// ``swigluFFN(x:tokens:hidden:intermediate:w1:w3:w2:out:chunkRows:threads:)``), with the
/// up-projections recomputed from `x` (as with full activation recompute).
///
/// With `a1 = x·W1`, `a3 = x·W3`, `g = silu(a1) ⊙ a3` and `dG = dOut · W2ᵀ`:
/// `dW2 += gᵀ·dOut`, `dA3 = dG ⊙ silu(a1)`, `dA1 = dG ⊙ a3 ⊙ σ(a1)(1 + a1(1 − σ(a1)))`,
/// `dW1 += xᵀ·dA1`, `dW3 += xᵀ·dA3`, `dX = dA1·W1ᵀ + dA3·W3ᵀ`.
///
/// Shapes (row-major): `x`, `dOut`, `dX` tokens×hidden; `w1`, `w3`, `dW1`, `dW3`
/// hidden×intermediate; `w2`, `dW2` intermediate×hidden. `dX` is overwritten; the weight
/// gradients are accumulated (`+=`), so zero them before the first call of a step.
/// Throws `TrainingKernelError.invalidShape` if a dimension is negative or a buffer too small.
public func swigluBackward(
    x: UnsafeBufferPointer<Float>, dOut: UnsafeBufferPointer<Float>, tokens: Int, hidden: Int, intermediate: Int,
    w1: UnsafeBufferPointer<Float>, w3: UnsafeBufferPointer<Float>, w2: UnsafeBufferPointer<Float>,
    dX: UnsafeMutableBufferPointer<Float>, dW1: UnsafeMutableBufferPointer<Float>,
    dW3: UnsafeMutableBufferPointer<Float>, dW2: UnsafeMutableBufferPointer<Float>, threads: Int = 1
) throws {
    let m = tokens, h = hidden, f = intermediate
    try TrainingKernelError.check("swigluBackward", dimensions: [m, h, f], buffers: [
        ("dW1", dW1.count, (h, f)), ("dW3", dW3.count, (h, f)), ("dW2", dW2.count, (f, h)),
    ])
    let saved = try swigluInputGradient(x: x, dOut: dOut, tokens: tokens, hidden: hidden, intermediate: intermediate,
                                        w1: w1, w3: w3, w2: w2, dX: dX, threads: threads)
    swigluWeightGradients(x: x, dOut: dOut, saved: saved, dW1: dW1, dW3: dW3, dW2: dW2, threads: threads)
}

/// What the input-gradient half of the SwiGLU backward leaves for the weight-gradient half
/// (a zero-bubble schedule runs the two apart): the gated activations and the gradients of the
/// two up-projections, tokens × intermediate each.
public struct SwiGLUWeightGradientInputs: Sendable {
    public let tokens: Int, hidden: Int, intermediate: Int
    let gated: [Float], dA1: [Float], dA3: [Float]
}

/// The input-gradient half of ``swigluBackward(x:dOut:tokens:hidden:intermediate:w1:w3:w2:dX:dW1:dW3:dW2:threads:)``:
/// `dX` (overwritten), and what ``swigluWeightGradients(x:dOut:saved:dW1:dW3:dW2:threads:)`` needs.
/// With `up` (the forward's ``SwiGLUUpProjections`` of the same `x`) the up-projections are
/// taken from it instead of recomputed: two GEMMs fewer, the same result.
public func swigluInputGradient(
    x: UnsafeBufferPointer<Float>, dOut: UnsafeBufferPointer<Float>, tokens: Int, hidden: Int, intermediate: Int,
    w1: UnsafeBufferPointer<Float>, w3: UnsafeBufferPointer<Float>, w2: UnsafeBufferPointer<Float>,
    dX: UnsafeMutableBufferPointer<Float>, up: SwiGLUUpProjections? = nil, threads: Int = 1
) throws -> SwiGLUWeightGradientInputs {
    let m = tokens, h = hidden, f = intermediate
    try TrainingKernelError.check("swigluBackward", dimensions: [m, h, f], buffers: [
        ("x", x.count, (m, h)), ("dOut", dOut.count, (m, h)), ("dX", dX.count, (m, h)),
        ("w1", w1.count, (h, f)), ("w3", w3.count, (h, f)), ("w2", w2.count, (f, h)),
    ])
    guard threads >= 1 else { throw TrainingKernelError.invalidShape("swigluBackward: threads must be ≥ 1, found \(threads)") }
    let empty = SwiGLUWeightGradientInputs(tokens: m, hidden: h, intermediate: f, gated: [], dA1: [], dA3: [])
    if m == 0 || h == 0 { return empty }
    if f == 0 {
        for i in 0..<(m * h) { dX[i] = 0 }
        return empty
    }
    if let up, up.tokens != m || up.intermediate != f {
        throw TrainingKernelError.invalidShape("swigluBackward: up-projections of \(up.tokens)×\(up.intermediate), the FFN is \(m)×\(f)")
    }
    var a1: [Float], a3: [Float], dG = [Float](repeating: 0, count: m * f)
    if let up {
        (a1, a3) = (up.a1, up.a3)
    } else {
        (a1, a3) = (dG, dG)
        a1.withUnsafeMutableBufferPointer { sgemm(m: m, n: f, k: h, a: x, lda: h, b: w1, ldb: f, c: $0, ldc: f, threads: threads) }
        a3.withUnsafeMutableBufferPointer { sgemm(m: m, n: f, k: h, a: x, lda: h, b: w3, ldb: f, c: $0, ldc: f, threads: threads) }
    }
    dG.withUnsafeMutableBufferPointer {
        sgemm(transB: .transposed, m: m, n: f, k: h, a: dOut, lda: h, b: w2, ldb: h, c: $0, ldc: f, threads: threads)
    }
    // Reuse the buffers in place: a1 → dA1, a3 → dA3, dG → g (the gated activations).
    a1.withUnsafeMutableBufferPointer { a1 in
        a3.withUnsafeMutableBufferPointer { a3 in dG.withUnsafeMutableBufferPointer { siluMultiplyBackward(a1: a1, a3: a3, dG: $0) } }
    }
    a1.withUnsafeBufferPointer { dA1 in
        sgemm(transB: .transposed, m: m, n: h, k: f, a: dA1, lda: f, b: w1, ldb: f, c: dX, ldc: h, threads: threads)
    }
    a3.withUnsafeBufferPointer { dA3 in
        sgemm(transB: .transposed, m: m, n: h, k: f, a: dA3, lda: f, b: w3, ldb: f, beta: 1, c: dX, ldc: h, threads: threads)
    }
    return SwiGLUWeightGradientInputs(tokens: m, hidden: h, intermediate: f, gated: dG, dA1: a1, dA3: a3)
}

/// The SwiGLU gate's backward in place, element by element over the shortest buffer (the
/// elementwise part of ``swigluInputGradient(x:dOut:tokens:hidden:intermediate:w1:w3:w2:dX:up:threads:)``,
/// which `frugal calibrate --job` times alone): with `z = a1[i]`, `u = a3[i]`, `d = dG[i]` and
/// σ the logistic function, `dG[i] = silu(z)·u` (the gated activation), `a3[i] = d·silu(z)`
/// (dA3) and `a1[i] = d·u·σ(z)(1 + z(1 − σ(z)))` (dA1).
public func siluMultiplyBackward(a1: UnsafeMutableBufferPointer<Float>, a3: UnsafeMutableBufferPointer<Float>,
                                 dG: UnsafeMutableBufferPointer<Float>) {
    for i in 0..<min(a1.count, a3.count, dG.count) {
        let z = a1[i], up = a3[i], dGate = dG[i]
        let sigma = 1 / (1 + expf(-z)), silu = z * sigma
        dG[i] = silu * up
        a3[i] = dGate * silu
        a1[i] = dGate * up * sigma * (1 + z * (1 - sigma))
    }
}

/// The weight-gradient half: `dW2 += gᵀ·dOut`, `dW1 += xᵀ·dA1`, `dW3 += xᵀ·dA3`, from the
/// same `x` and `dOut` the input-gradient half was given (buffers sized as there; checked there).
public func swigluWeightGradients(
    x: UnsafeBufferPointer<Float>, dOut: UnsafeBufferPointer<Float>, saved: SwiGLUWeightGradientInputs,
    dW1: UnsafeMutableBufferPointer<Float>, dW3: UnsafeMutableBufferPointer<Float>, dW2: UnsafeMutableBufferPointer<Float>,
    threads: Int = 1
) {
    let m = saved.tokens, h = saved.hidden, f = saved.intermediate
    guard m > 0, h > 0, f > 0, saved.gated.count == m * f, x.count >= m * h, dOut.count >= m * h,
          dW1.count >= h * f, dW3.count >= h * f, dW2.count >= f * h else { return }
    saved.gated.withUnsafeBufferPointer { g in
        sgemm(transA: .transposed, m: f, n: h, k: m, a: g, lda: f, b: dOut, ldb: h, beta: 1, c: dW2, ldc: h, threads: threads)
    }
    saved.dA1.withUnsafeBufferPointer { dA1 in
        sgemm(transA: .transposed, m: h, n: f, k: m, a: x, lda: h, b: dA1, ldb: f, beta: 1, c: dW1, ldc: f, threads: threads)
    }
    saved.dA3.withUnsafeBufferPointer { dA3 in
        sgemm(transA: .transposed, m: h, n: f, k: m, a: x, lda: h, b: dA3, ldb: f, beta: 1, c: dW3, ldc: f, threads: threads)
    }
}
