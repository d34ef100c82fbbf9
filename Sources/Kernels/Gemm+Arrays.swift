/// `C = A·B` (or `C += A·B`) on dense row-major arrays through ``sgemm``: `a` is m×k, `b` k×n,
/// `c` m×n. The executor's GEMMs and `frugal calibrate`'s GEMM throughput go through this one call.
public func multiply(a: [Float], b: [Float], into c: inout [Float], m: Int, n: Int, k: Int, accumulate: Bool = false) {
    guard m > 0, n > 0 else { return }
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in
                sgemm(m: m, n: n, k: k, a: a, lda: max(1, k), b: b, ldb: n, beta: accumulate ? 1 : 0, c: c, ldc: n)
            }
        }
    }
}
