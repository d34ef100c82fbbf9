/// Single-precision general matrix multiply, row-major:
/// `C = alpha · op(A) · op(B) + beta · C` with `op(A)` m×k, `op(B)` k×n and `C` m×n.
///
/// - `lda`, `ldb`, `ldc` are the row strides (elements between consecutive rows) of the arrays
///   as stored: `A` is m×k (`lda ≥ k`) when not transposed and k×m (`lda ≥ m`) when transposed;
///   likewise `B` is k×n or n×k.
/// - `beta == 0` overwrites `C` without reading it (NaNs already in `C` do not propagate), as BLAS does.
/// - Buffers are checked to be large enough for the shape and strides; a violation is a
///   programming error and traps.
public func sgemm(
    transA: Transpose = .none, transB: Transpose = .none,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafeBufferPointer<Float>, lda: Int,
    b: UnsafeBufferPointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension")
    let (aRows, aCols) = transA == .none ? (m, k) : (k, m)
    let (bRows, bCols) = transB == .none ? (k, n) : (n, k)
    precondition(lda >= max(1, aCols) && ldb >= max(1, bCols) && ldc >= max(1, n), "sgemm: stride too small")
    precondition(aRows == 0 || a.count >= (aRows - 1) * lda + aCols, "sgemm: A buffer too small")
    precondition(bRows == 0 || b.count >= (bRows - 1) * ldb + bCols, "sgemm: B buffer too small")
    precondition(m == 0 || c.count >= (m - 1) * ldc + n, "sgemm: C buffer too small")
    if m == 0 || n == 0 { return }

    // Scale C by beta first; then accumulate alpha·op(A)·op(B) block by block.
    for i in 0..<m {
        let row = c.baseAddress! + i * ldc
        if beta == 0 {
            row.update(repeating: 0, count: n)
        } else if beta != 1 {
            for j in 0..<n { row[j] *= beta }
        }
    }
    if k == 0 || alpha == 0 { return }

    let blockK = 256, blockI = 64
    let aBase = a.baseAddress!, bBase = b.baseAddress!, cBase = c.baseAddress!
    var aRow = [Float](repeating: 0, count: blockK)
    var bRow = [Float](repeating: 0, count: n)
    for k0 in stride(from: 0, to: k, by: blockK) {
        let k1 = min(k, k0 + blockK)
        for i0 in stride(from: 0, to: m, by: blockI) {
            let i1 = min(m, i0 + blockI)
            for i in i0..<i1 {
                // Gather alpha·op(A)[i, k0..<k1] contiguously.
                for p in k0..<k1 {
                    let value = transA == .none ? aBase[i * lda + p] : aBase[p * lda + i]
                    aRow[p - k0] = alpha * value
                }
                let cRow = cBase + i * ldc
                for p in k0..<k1 {
                    let scale = aRow[p - k0]
                    if transB == .none {
                        let bp = bBase + p * ldb
                        for j in 0..<n { cRow[j] = cRow[j].addingProduct(scale, bp[j]) }
                    } else {
                        for j in 0..<n { bRow[j] = bBase[j * ldb + p] }
                        for j in 0..<n { cRow[j] = cRow[j].addingProduct(scale, bRow[j]) }
                    }
                }
            }
        }
    }
}
