/// Measures one core's single-precision FMA throughput: the ceiling the GEMM kernels are
/// compared against (`percentOfPeak`).
///
/// Runs 12 independent chains of `SIMD8<Float>` fused multiply-adds (12 × 8 lanes × 2 flops
/// per step). Twelve chains exceed latency × issue width (4 cycles × 2 FMA units = 8 in
/// flight) on current x86 cores, so the loop is bound by FMA issue, not by latency. Needs
/// the FMA build flag (x86-64-v3), as the kernels do.
public enum FMAPeak {
    /// Flops of one call to `run(iterations:)`.
    public static func flops(iterations: Int) -> Double { Double(iterations) * 12 * 8 * 2 }

    /// Runs `iterations` steps of the 12 chains (`c ← c·m + k`, which stays bounded); returns a value depending on all of them so
    /// the work cannot be optimised away.
    @inline(never)
    public static func run(iterations: Int, seed: Float = 1e-3) -> Float {
        let m = SIMD8<Float>(repeating: 0.999_999), k = SIMD8<Float>(repeating: 1e-6)
        let s = SIMD8<Float>(repeating: seed)
        var c0 = s, c1 = s + 1, c2 = s + 2, c3 = s + 3, c4 = s + 4, c5 = s + 5, c6 = s + 6, c7 = s + 7
        var c8 = s + 8, c9 = s + 9, c10 = s + 10, c11 = s + 11
        for _ in 0..<iterations {
            c0 = k.addingProduct(c0, m); c1 = k.addingProduct(c1, m)
            c2 = k.addingProduct(c2, m); c3 = k.addingProduct(c3, m)
            c4 = k.addingProduct(c4, m); c5 = k.addingProduct(c5, m)
            c6 = k.addingProduct(c6, m); c7 = k.addingProduct(c7, m)
            c8 = k.addingProduct(c8, m); c9 = k.addingProduct(c9, m)
            c10 = k.addingProduct(c10, m); c11 = k.addingProduct(c11, m)
        }
        let sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7))
            + ((c8 + c9) + (c10 + c11))
        return sum.sum()
    }
}
