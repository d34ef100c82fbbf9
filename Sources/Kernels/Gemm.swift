/// Single-precision general matrix multiply, row-major:
/// `C = alpha · op(A) · op(B) + beta · C` with `op(A)` m×k, `op(B)` k×n and `C` m×n.
///
/// Why it is fast: it is structured like BLIS. `op(B)` is packed once per `kc × nc` panel and
/// `op(A)` once per `mc × kc` block into contiguous, 64-byte aligned micro-panels (which also
/// absorbs the transposes), sized so the A block stays in L2 and each B micro-panel in L1
/// (see `GemmBlocking`). A 6×16 register micro-kernel then keeps twelve AVX2 accumulators busy
/// with independent fused multiply-adds, so the inner loop runs near the core's FMA peak
/// instead of waiting on memory. Pack buffers are allocated once per call and reused for every
/// block; edge tiles go through a scratch tile, so any shape (1, primes, …) is handled.
///
/// - `lda`, `ldb`, `ldc` are the row strides (elements between consecutive rows) of the arrays
///   as stored: `A` is m×k (`lda ≥ k`) when not transposed and k×m (`lda ≥ m`) when transposed;
///   likewise `B` is k×n or n×k.
/// - `beta == 0` overwrites `C` without reading it (NaNs already in `C` do not propagate), as BLAS does.
/// - `threads` > 1 splits C into that many column (or, for tall C, row) slices computed
///   concurrently, each with its own pack buffers; results are identical to `threads == 1`.
/// - Buffers are checked to be large enough for the shape and strides; a violation is a
///   programming error and traps.
public func sgemm(
    transA: Transpose = .none, transB: Transpose = .none,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafeBufferPointer<Float>, lda: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int,
    threads: Int = 1
) {
    checkSharedOperands(transB: transB, m: m, n: n, k: k, b: b, ldb: ldb, c: c, ldc: ldc, threads: threads)
    let (aRows, aCols) = transA == .none ? (m, k) : (k, m)
    precondition(lda >= max(1, aCols), "sgemm: stride too small")
    precondition(aRows == 0 || aCols == 0 || a.count >= (aRows - 1) * lda + aCols, "sgemm: A buffer too small")
    if m == 0 || n == 0 { return }
    sgemm(m: m, n: n, k: k, alpha: alpha, a: k == 0 ? nil : StridedMatrix(a.baseAddress!, ld: lda, transpose: transA),
          b: k == 0 ? nil : StridedMatrix(b.baseAddress!, ld: ldb, transpose: transB), beta: beta,
          c: MutableMatrix(base: c.baseAddress!, ld: ldc), threads: threads)
}

/// The checks both public forms share: dimensions, threads, and B's and C's strides and sizes
/// (a violation is a programming error and traps).
private func checkSharedOperands(transB: Transpose, m: Int, n: Int, k: Int, b: UnsafeBufferPointer<Float>, ldb: Int,
                                 c: UnsafeMutableBufferPointer<Float>, ldc: Int, threads: Int) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension")
    precondition(threads >= 1, "sgemm: threads must be at least 1")
    let (bRows, bCols) = transB == .none ? (k, n) : (n, k)
    precondition(ldb >= max(1, bCols) && ldc >= max(1, n), "sgemm: stride too small")
    precondition(bRows == 0 || bCols == 0 || b.count >= (bRows - 1) * ldb + bCols, "sgemm: B buffer too small")
    precondition(m == 0 || c.count >= (m - 1) * ldc + n, "sgemm: C buffer too small")
}

/// The checked forms' common tail, on operands already viewed as logical matrices (A strided or
/// row-gathered): `C = beta · C` when `k` or `alpha` is 0, else the blocked product. `m`, `n` ≥ 1;
/// `a` and `b` nil only when `k` is 0.
func sgemm(m: Int, n: Int, k: Int, alpha: Float, a: StridedMatrix?, b: StridedMatrix?, beta: Float,
           c: MutableMatrix, threads: Int) {
    guard k > 0, alpha != 0, let a, let b else {
        GemmPackBuffers.scale(c.base, ldc: c.ld, m: m, n: n, beta: beta)
        return
    }
    GemmDriver.run(m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c, threads: threads)
}

/// ``sgemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:threads:)`` with A's rows gathered:
/// `C = alpha · A · op(B) + beta · C` where row `i` of the m×k matrix A is `rows[i][0..<k]`,
/// wherever each row lies (an expert's input rows, some in a shared window, the rank's own in its
/// token matrix, read in place instead of copied together first). The packed A panels hold the
/// same values as for the rows copied into one matrix, so C is bit-identical to that product.
public func sgemm(
    transB: Transpose = .none,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    rows: UnsafeBufferPointer<UnsafePointer<Float>>,
    b: UnsafeBufferPointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int,
    threads: Int = 1
) {
    checkSharedOperands(transB: transB, m: m, n: n, k: k, b: b, ldb: ldb, c: c, ldc: ldc, threads: threads)
    precondition(rows.count >= m, "sgemm: fewer row pointers than m")
    if m == 0 || n == 0 { return }
    sgemm(m: m, n: n, k: k, alpha: alpha, a: k == 0 ? nil : StridedMatrix(rows: rows.baseAddress!),
          b: k == 0 ? nil : StridedMatrix(b.baseAddress!, ld: ldb, transpose: transB), beta: beta,
          c: MutableMatrix(base: c.baseAddress!, ld: ldc), threads: threads)
}
