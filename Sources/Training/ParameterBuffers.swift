import Kernels

/// Read access to the flat parameter vector by tensor name, for the length of one op (the
/// step's only unsafe pointers are fenced in this file: this type, ``GradientBuffers`` and
/// `Array(everyValueWrittenBy:_:)`).
struct ParameterBuffers {
    let values: UnsafeBufferPointer<Float>
    let layout: ParameterLayout

    /// Tensor `name`, or `experts` consecutive expert tensors from it.
    func callAsFunction(_ name: ParameterName, experts: Int = 1) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: values[layout.range(name, experts: experts)])
    }
}

/// Write access to the flat gradient vector by tensor name, for the length of one op. With
/// `deferred`, weight-gradient GEMMs are kept there instead (a backward pass without its
/// weight pass).
struct GradientBuffers {
    let values: UnsafeMutableBufferPointer<Float>
    let layout: ParameterLayout
    var deferred: DeferredWeightGradients? = nil

    /// The backward of ``Linear/forward``: `dX` now (added when `accumulate`), and `dW += xᵀ·dY`
    /// now or kept in ``deferred``.
    func linearBackward(x: [Float], dY: [Float], rows: Int, weight: UnsafeBufferPointer<Float>, name: ParameterName,
                        inWidth: Int, outWidth: Int, dX: inout [Float], accumulate: Bool, threads: Int) {
        if let deferred {
            deferred.append(.linear(name, x: x, dY: dY, rows: rows, inWidth: inWidth, outWidth: outWidth))
        } else {
            Linear.weightGradient(x: x, dY: dY, rows: rows, dWeight: self(name), inWidth: inWidth, outWidth: outWidth,
                                  threads: threads)
        }
        Linear.inputGradient(dY: dY, rows: rows, weight: weight, inWidth: inWidth, outWidth: outWidth, dX: &dX,
                             accumulate: accumulate, threads: threads)
    }

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
    /// Every gradient back to zero, in place (a step reuses the vector instead of faulting in a fresh one).
    mutating func setToZero() {
        values.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Runs `body` with the parameters to read and the gradients to accumulate into.
    mutating func withBuffers<T>(reading weights: ModelWeights, deferring deferred: DeferredWeightGradients? = nil,
                                 _ body: (ParameterBuffers, GradientBuffers) throws -> T) throws -> T {
        guard weights.layout == layout else {
            throw TrainingError.invalidConfiguration("gradients and weights have different layouts")
        }
        let layout = self.layout
        return try TrainingError.wrapping {
            try weights.values.withUnsafeBufferPointer { p in
                try values.withUnsafeMutableBufferPointer { g in
                    try body(ParameterBuffers(values: p, layout: layout),
                             GradientBuffers(values: g, layout: layout, deferred: deferred))
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
        // sgemm with beta = 0 writes every value of y without reading it.
        [Float](everyValueWrittenBy: rows * outWidth) { y in
            x.withUnsafeBufferPointer { xp in
                sgemm(m: rows, n: outWidth, k: inWidth, a: xp, lda: max(1, inWidth), b: weight, ldb: max(1, outWidth),
                      c: y, ldc: max(1, outWidth), threads: threads)
            }
        }
    }

    /// `dW += xᵀ · dY`: the weight half of ``forward``'s backward.
    static func weightGradient(x: [Float], dY: [Float], rows: Int, dWeight: UnsafeMutableBufferPointer<Float>,
                               inWidth: Int, outWidth: Int, threads: Int) {
        x.withUnsafeBufferPointer { xp in
            dY.withUnsafeBufferPointer { dp in
                sgemm(transA: .transposed, m: inWidth, n: outWidth, k: rows, a: xp, lda: max(1, inWidth), b: dp,
                      ldb: max(1, outWidth), beta: 1, c: dWeight, ldc: max(1, outWidth), threads: threads)
            }
        }
    }

    /// `dX (+)= dY · Wᵀ` (added to `dX` when `accumulate`, else overwriting it; `dX` holds rows × inWidth).
    static func inputGradient(dY: [Float], rows: Int, weight: UnsafeBufferPointer<Float>, inWidth: Int, outWidth: Int,
                              dX: inout [Float], accumulate: Bool, threads: Int) {
        dY.withUnsafeBufferPointer { dp in
            dX.withUnsafeMutableBufferPointer {
                sgemm(transB: .transposed, m: rows, n: inWidth, k: outWidth, a: dp, lda: max(1, outWidth), b: weight,
                      ldb: max(1, outWidth), beta: accumulate ? 1 : 0, c: $0, ldc: max(1, inWidth), threads: threads)
            }
        }
    }
}

/// RMSNorm on arrays: the normalised rows and the inverse RMS the backward needs.
enum Norm {
    static func forward(_ x: [Float], rows: Int, width: Int, weight: UnsafeBufferPointer<Float>,
                        epsilon: Float) throws -> (y: [Float], inverseRMS: [Float]) {
        // The kernel writes every value of y and of the inverse RMS.
        var inverse: [Float] = []
        let y = try [Float](everyValueWrittenBy: rows * width) { yp in
            inverse = try [Float](everyValueWrittenBy: rows) { ip in
                try x.withUnsafeBufferPointer { xp in
                    try rmsNormForward(x: xp, weight: weight, rows: rows, width: width, epsilon: epsilon, y: yp, inverseRMS: ip)
                }
            }
        }
        return (y, inverse)
    }

    /// dX of the norm (returned); `dWeight += Σ dY ⊙ x · invRMS`.
    static func backward(dY: [Float], x: [Float], inverseRMS: [Float], rows: Int, width: Int,
                         weight: UnsafeBufferPointer<Float>, dWeight: UnsafeMutableBufferPointer<Float>) throws -> [Float] {
        // The kernel writes every value of dX.
        try [Float](everyValueWrittenBy: rows * width) { dX in
            try dY.withUnsafeBufferPointer { dp in
                try x.withUnsafeBufferPointer { xp in
                    try inverseRMS.withUnsafeBufferPointer { ip in
                        try rmsNormBackward(dY: dp, x: xp, weight: weight, inverseRMS: ip, rows: rows, width: width,
                                            dX: dX, dWeight: dWeight)
                    }
                }
            }
        }
    }
}

extension Array where Element == Float {
    /// `count` values that `fill` writes, every one of them, before anything reads them: no
    /// zeroing pass over a fresh array (the buffer's values are undefined until `fill` writes them).
    init(everyValueWrittenBy count: Int, _ fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        try self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = count  // Float is trivial: a throwing `fill` leaves nothing to deinitialize.
            try fill(buffer)
        }
    }

    /// Rows `rows[0], rows[1], …` of `values` (rows of `width`), one after another.
    init(rows rowIndices: [Int], of values: [Float], width: Int) {
        self.init(everyValueWrittenBy: rowIndices.count * width) { result in
            values.withUnsafeBufferPointer { from in
                for (row, source) in rowIndices.enumerated() {
                    _ = UnsafeMutableBufferPointer(rebasing: result[(row * width)..<((row + 1) * width)])
                        .update(fromContentsOf: UnsafeBufferPointer(rebasing: from[(source * width)..<((source + 1) * width)]))
                }
            }
        }
    }

    /// The inverse of ``init(rows:of:width:)``: row `i` of `values` goes to row `rows[i]`
    /// (rows no index names stay zero).
    init(placing values: [Float], atRows rowIndices: [Int], width: Int) {
        self.init(repeating: 0, count: rowIndices.count * width)
        values.withUnsafeBufferPointer { from in
            withUnsafeMutableBufferPointer { result in
                for (row, target) in rowIndices.enumerated() {
                    _ = UnsafeMutableBufferPointer(rebasing: result[(target * width)..<((target + 1) * width)])
                        .update(fromContentsOf: UnsafeBufferPointer(rebasing: from[(row * width)..<((row + 1) * width)]))
                }
            }
        }
    }

    /// `self[i] += other[i]` for every `i`.
    mutating func add(_ other: [Float]) {
        for i in indices { self[i] += other[i] }
    }
}
