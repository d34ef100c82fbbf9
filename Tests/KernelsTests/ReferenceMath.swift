import Kernels

/// Plain reference implementations for the kernel tests: written for clarity, accumulating in
/// Double, with no blocking or SIMD.
enum ReferenceMath {
    static func random(_ count: Int, _ g: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in g.nextSignedUnit() }
    }

    /// `alpha · op(A) · op(B) + beta · C` (with `beta == 0` ignoring C), in Double.
    static func gemm(transA: Transpose, transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
                     a: [Float], lda: Int, b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = transA == .none ? a[i * lda + p] : a[p * lda + i]
                    let bv = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                    sum += Double(av) * Double(bv)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                out[i * ldc + j] = Float(Double(alpha) * sum + old)
            }
        }
        return out
    }

    /// Largest |x − y| over the entries both arrays hold.
    static func maxAbsDiff(_ x: [Float], _ y: [Float]) -> Float {
        zip(x, y).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
