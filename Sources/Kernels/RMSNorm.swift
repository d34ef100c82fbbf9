/// Root-mean-square normalization, forward: for each row `r` of `x`,
/// `y[r, j] = x[r, j] · inverseRMS[r] · weight[j]` with
/// `inverseRMS[r] = 1 / √(mean_j x[r, j]² + epsilon)`.
///
/// Shapes (row-major, dense): `x` and `y` rows×width, `weight` width, `inverseRMS` rows (saved
/// for ``rmsNormBackward(dY:x:weight:inverseRMS:rows:width:dX:dWeight:)``). `y` and `inverseRMS`
/// are overwritten. The sum of squares accumulates in Double.
///
/// - Throws: `TrainingKernelError.invalidShape` for a negative dimension or a buffer too small,
///   `.invalidConfiguration` when `epsilon` is negative or not finite.
public func rmsNormForward(x: UnsafeBufferPointer<Float>, weight: UnsafeBufferPointer<Float>,
                           rows: Int, width: Int, epsilon: Float,
                           y: UnsafeMutableBufferPointer<Float>,
                           inverseRMS: UnsafeMutableBufferPointer<Float>) throws {
    try TrainingKernelError.check("rmsNormForward", dimensions: [rows, width], buffers: [
        ("x", x.count, (rows, width)), ("y", y.count, (rows, width)),
        ("weight", weight.count, (1, width)), ("inverseRMS", inverseRMS.count, (rows, 1)),
    ])
    guard epsilon.isFinite, epsilon >= 0 else {
        throw TrainingKernelError.invalidConfiguration("RMSNorm epsilon must be finite and ≥ 0, got \(epsilon)")
    }
    if width == 0 { return }
    for r in 0..<rows {
        let base = r * width
        var squares = 0.0
        for j in 0..<width { let v = Double(x[base + j]); squares += v * v }
        let inv = Float(1 / (squares / Double(width) + Double(epsilon)).squareRoot())
        inverseRMS[r] = inv
        for j in 0..<width { y[base + j] = x[base + j] * inv * weight[j] }
    }
}

/// Root-mean-square normalization, backward. With `x̂ = x · inverseRMS` and `g = dY ⊙ weight`
/// per row: `dX = inverseRMS · (g − x̂ · mean_j(g ⊙ x̂))` (overwritten) and
/// `dWeight[j] += Σ_r dY[r, j] · x̂[r, j]` (accumulated: zero it before the first call of a step).
///
/// Shapes as in ``rmsNormForward(x:weight:rows:width:epsilon:y:inverseRMS:)``: `dY`, `x`, `dX`
/// rows×width; `weight`, `dWeight` width; `inverseRMS` rows, as the forward saved it.
///
/// - Throws: `TrainingKernelError.invalidShape` for a negative dimension or a buffer too small.
public func rmsNormBackward(dY: UnsafeBufferPointer<Float>, x: UnsafeBufferPointer<Float>,
                            weight: UnsafeBufferPointer<Float>, inverseRMS: UnsafeBufferPointer<Float>,
                            rows: Int, width: Int,
                            dX: UnsafeMutableBufferPointer<Float>,
                            dWeight: UnsafeMutableBufferPointer<Float>) throws {
    try TrainingKernelError.check("rmsNormBackward", dimensions: [rows, width], buffers: [
        ("dY", dY.count, (rows, width)), ("x", x.count, (rows, width)), ("dX", dX.count, (rows, width)),
        ("weight", weight.count, (1, width)), ("dWeight", dWeight.count, (1, width)),
        ("inverseRMS", inverseRMS.count, (rows, 1)),
    ])
    if width == 0 { return }
    for r in 0..<rows {
        let base = r * width, inv = inverseRMS[r]
        var dot = 0.0
        for j in 0..<width {
            let xHat = x[base + j] * inv
            dot += Double(dY[base + j] * weight[j]) * Double(xHat)
            dWeight[j] += dY[base + j] * xHat
        }
        let meanDot = Float(dot / Double(width))
        for j in 0..<width {
            let xHat = x[base + j] * inv
            dX[base + j] = inv * (dY[base + j] * weight[j] - xHat * meanDot)
        }
    }
}
