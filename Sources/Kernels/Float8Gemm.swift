/// `C = A · B` from FP8 inputs with FP32 accumulation: `a` is m×k (normally 1×128 activation
/// tiles), `b` is k×n (normally 128×128 weight blocks); `c` is m×n with row stride `ldc`,
/// overwritten.
///
/// How: the operands are dequantized (code × tile scale, exact in FP32) into FP32 scratch —
/// `a` in row chunks of `chunkRows` so its scratch stays small, `b` once — and multiplied by the
/// packed `sgemm`, so every product and sum is FP32. Dequantizing costs O(mk + kn) against the
/// GEMM's O(mnk). (On hardware with FP8 tensor cores the dequantize would be fused into the
/// MMA; on a CPU the FP32 FMA path is the fast one.)
public func float8Gemm(a: Float8Matrix, b: Float8Matrix, c: UnsafeMutableBufferPointer<Float>, ldc: Int,
                       chunkRows: Int = 960, threads: Int = 1) {
    precondition(a.columns == b.rows, "float8Gemm: inner dimensions differ (\(a.columns) vs \(b.rows))")
    let m = a.rows, n = b.columns, k = a.columns
    precondition(ldc >= max(1, n) && (m == 0 || c.count >= (m - 1) * ldc + n), "float8Gemm: C too small")
    var bFloat = b.dequantized()
    if bFloat.isEmpty { bFloat = [0] }
    let rows = max(1, min(chunkRows, m))
    var aChunk = [Float](repeating: 0, count: max(1, rows * k))
    bFloat.withUnsafeBufferPointer { bp in
        aChunk.withUnsafeMutableBufferPointer { ap in
            var start = 0
            while start < m {
                let r = min(rows, m - start)
                a.dequantize(rows: start..<(start + r), into: ap)
                sgemm(m: r, n: n, k: k, a: UnsafeBufferPointer(ap), lda: max(1, k), b: bp, ldb: max(1, n),
                      c: UnsafeMutableBufferPointer(rebasing: c[(start * ldc)...]), ldc: ldc, threads: threads)
                start += r
            }
        }
    }
}
