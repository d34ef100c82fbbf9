/// `C = A · B` from bfloat16 inputs (bit patterns, row-major m×k and k×n) with FP32
/// accumulation; widening to FP32 is exact, so this is the FP32 product of the rounded inputs.
public func bfloat16Gemm(m: Int, n: Int, k: Int, a: UnsafeBufferPointer<UInt16>, b: UnsafeBufferPointer<UInt16>,
                         c: UnsafeMutableBufferPointer<Float>, ldc: Int, threads: Int = 1) {
    precondition(a.count >= m * k && b.count >= k * n, "bfloat16Gemm: inputs too small")
    var af = [Float](repeating: 0, count: max(1, m * k)), bf = [Float](repeating: 0, count: max(1, k * n))
    af.withUnsafeMutableBufferPointer { BFloat16.decode(UnsafeBufferPointer(rebasing: a[0..<(m * k)]), into: $0) }
    bf.withUnsafeMutableBufferPointer { BFloat16.decode(UnsafeBufferPointer(rebasing: b[0..<(k * n)]), into: $0) }
    af.withUnsafeBufferPointer { ap in bf.withUnsafeBufferPointer { bp in
        sgemm(m: m, n: n, k: k, a: ap, lda: max(1, k), b: bp, ldb: max(1, n), c: c, ldc: ldc, threads: threads)
    } }
}
