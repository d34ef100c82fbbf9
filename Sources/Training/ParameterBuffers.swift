import Kernels

/// Read access to the flat parameter vector by tensor name, for the length of one op (the
/// step's only unsafe pointers are fenced in this type and ``GradientBuffers``).
struct ParameterBuffers {
    let values: UnsafeBufferPointer<Float>
    let layout: ParameterLayout

    /// Tensor `name`, or `experts` consecutive expert tensors from it.
    func callAsFunction(_ name: ParameterName, experts: Int = 1) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: values[layout.range(name, experts: experts)])
    }
}

/// Write access to the flat gradient vector by tensor name, for the length of one op.
struct GradientBuffers {
    let values: UnsafeMutableBufferPointer<Float>
    let layout: ParameterLayout

    /// The gradient of tensor `name`, or of `experts` consecutive expert tensors from it.
    func callAsFunction(_ name: ParameterName, experts: Int = 1) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: values[layout.range(name, experts: experts)])
    }
}

extension ModelWeights {
    /// Runs `body` with read access to the parameters, turning kernel errors into ``TrainingError``.
    func withBuffers<T>(_ body: (ParameterBuffers) throws -> T) throws -> T {
        try TrainingError.wrapping {
            try values.withUnsafeBufferPointer { try body(ParameterBuffers(values: $0, layout: layout)) }
        }
    }
}

extension ParameterGradients {
    /// Runs `body` with the parameters to read and the gradients to accumulate into.
    mutating func withBuffers<T>(reading weights: ModelWeights,
                                 _ body: (ParameterBuffers, GradientBuffers) throws -> T) throws -> T {
        guard weights.layout == layout else {
            throw TrainingError.invalidConfiguration("gradients and weights have different layouts")
        }
        let layout = self.layout
        return try TrainingError.wrapping {
            try weights.values.withUnsafeBufferPointer { p in
                try values.withUnsafeMutableBufferPointer { g in
                    try body(ParameterBuffers(values: p, layout: layout), GradientBuffers(values: g, layout: layout))
                }
            }
        }
    }
}

/// Dense products on row-major activations, `y = x · W` with `W` in × out.
enum Linear {
    /// `x · W` for `rows` rows of `x` (rows × inWidth).
    static func forward(_ x: [Float], rows: Int, weight: UnsafeBufferPointer<Float>, inWidth: Int, outWidth: Int,
                        threads: Int) -> [Float] {
        var y = [Float](repeating: 0, count: rows * outWidth)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer {
                sgemm(m: rows, n: outWidth, k: inWidth, a: xp, lda: max(1, inWidth), b: weight, ldb: max(1, outWidth),
                      c: $0, ldc: max(1, outWidth), threads: threads)
            }
        }
        return y
    }

    /// The backward of ``forward``: `dW += xᵀ · dY`, and `dX (+)= dY · Wᵀ` (added to `dX`
    /// when `accumulate`, else overwriting it; `dX` must hold rows × inWidth).
    static func backward(x: [Float], dY: [Float], rows: Int, weight: UnsafeBufferPointer<Float>,
                         dWeight: UnsafeMutableBufferPointer<Float>, inWidth: Int, outWidth: Int,
                         dX: inout [Float], accumulate: Bool, threads: Int) {
        x.withUnsafeBufferPointer { xp in
            dY.withUnsafeBufferPointer { dp in
                sgemm(transA: .transposed, m: inWidth, n: outWidth, k: rows, a: xp, lda: max(1, inWidth), b: dp,
                      ldb: max(1, outWidth), beta: 1, c: dWeight, ldc: max(1, outWidth), threads: threads)
                dX.withUnsafeMutableBufferPointer {
                    sgemm(transB: .transposed, m: rows, n: inWidth, k: outWidth, a: dp, lda: max(1, outWidth), b: weight,
                          ldb: max(1, outWidth), beta: accumulate ? 1 : 0, c: $0, ldc: max(1, inWidth), threads: threads)
                }
            }
        }
    }
}

/// RMSNorm on arrays: the normalised rows and the inverse RMS the backward needs.
enum Norm {
    static func forward(_ x: [Float], rows: Int, width: Int, weight: UnsafeBufferPointer<Float>,
                        epsilon: Float) throws -> (y: [Float], inverseRMS: [Float]) {
        var y = [Float](repeating: 0, count: rows * width), inverse = [Float](repeating: 0, count: rows)
        try x.withUnsafeBufferPointer { xp in
            try y.withUnsafeMutableBufferPointer { yp in
                try inverse.withUnsafeMutableBufferPointer {
                    try rmsNormForward(x: xp, weight: weight, rows: rows, width: width, epsilon: epsilon, y: yp, inverseRMS: $0)
                }
            }
        }
        return (y, inverse)
    }

    /// dX of the norm (returned); `dWeight += Σ dY ⊙ x · invRMS`.
    static func backward(dY: [Float], x: [Float], inverseRMS: [Float], rows: Int, width: Int,
                         weight: UnsafeBufferPointer<Float>, dWeight: UnsafeMutableBufferPointer<Float>) throws -> [Float] {
        var dX = [Float](repeating: 0, count: rows * width)
        try dY.withUnsafeBufferPointer { dp in
            try x.withUnsafeBufferPointer { xp in
                try inverseRMS.withUnsafeBufferPointer { ip in
                    try dX.withUnsafeMutableBufferPointer {
                        try rmsNormBackward(dY: dp, x: xp, weight: weight, inverseRMS: ip, rows: rows, width: width,
                                            dX: $0, dWeight: dWeight)
                    }
                }
            }
        }
        return dX
    }
}

extension Array where Element == Float {
    /// `self[i] += other[i]` for every `i`.
    mutating func add(_ other: [Float]) {
        for i in indices { self[i] += other[i] }
    }
}
