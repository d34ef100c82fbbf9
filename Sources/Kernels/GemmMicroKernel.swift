import CKernelSupport

/// The register micro-kernel of the packed GEMM: one MR×NR = 6×16 tile of C.
///
/// Twelve `SIMD8<Float>` accumulators (two 8-lane vectors per row × six rows) live in
/// twelve of the sixteen AVX2 `ymm` registers for the whole `kc` loop; each step loads two
/// vectors of the packed B micro-panel, broadcasts six scalars of the packed A micro-panel
/// and issues twelve independent fused multiply-adds (`addingProduct`). Twelve independent
/// chains cover the FMA latency (4 cycles) × issue width (2 per cycle) of current x86 cores,
/// and the 2 loads + 6 broadcasts per 12 FMAs stay within the load ports.
///
/// The kernel knows nothing about blocking: it reads `kc` columns of a packed 6-row A panel
/// (`a[p·6 + r]`) and `kc` rows of a packed 16-column B panel (`b[p·16 + j]`) and writes
/// `C = alpha·AB + beta·C` for one full tile (`beta == 0` never reads C). Partial edge tiles
/// are handled by the caller (`GemmBlocking`) through a scratch tile.
enum GemmMicroKernel {
    /// Rows of C per micro-tile.
    static let mr = 6
    /// Columns of C per micro-tile (two AVX2 vectors).
    static let nr = 16

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func update(_ acc: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>,
                       _ alpha: SIMD8<Float>, _ beta: SIMD8<Float>, readC: Bool) {
        if readC {
            store8((alpha * acc).addingProduct(beta, load8(p)), p)
        } else {
            store8(alpha * acc, p)
        }
    }

    /// `C[0..<6, 0..<16] = alpha · Σ_p a[p·6 + r] · b[p·bStride + j] + beta · C` (C row stride
    /// `ldc`). `bStride` is 16 for a packed B micro-panel, or B's own row stride when a few-row
    /// product reads row-major B in place (see `GemmBlocking`).
    static func tile6x16(
        kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bStride: Int = 16,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float
    ) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
        var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
        var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
        var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        // Bring the C tile toward L1 while the k loop runs (C is read/written only at the end).
        var pc = c
        for _ in 0..<6 {
            frugal_prefetch_write(pc); frugal_prefetch_write(pc + 15); pc += ldc
        }
        var ap = a, bp = b
        for _ in 0..<kc {
            let b0 = load8(bp), b1 = load8(bp + 8)
            var ai = SIMD8<Float>(repeating: ap[0])
            c00 = c00.addingProduct(ai, b0); c01 = c01.addingProduct(ai, b1)
            ai = SIMD8<Float>(repeating: ap[1])
            c10 = c10.addingProduct(ai, b0); c11 = c11.addingProduct(ai, b1)
            ai = SIMD8<Float>(repeating: ap[2])
            c20 = c20.addingProduct(ai, b0); c21 = c21.addingProduct(ai, b1)
            ai = SIMD8<Float>(repeating: ap[3])
            c30 = c30.addingProduct(ai, b0); c31 = c31.addingProduct(ai, b1)
            ai = SIMD8<Float>(repeating: ap[4])
            c40 = c40.addingProduct(ai, b0); c41 = c41.addingProduct(ai, b1)
            ai = SIMD8<Float>(repeating: ap[5])
            c50 = c50.addingProduct(ai, b0); c51 = c51.addingProduct(ai, b1)
            ap += 6; bp += bStride
        }
        let va = SIMD8<Float>(repeating: alpha), vb = SIMD8<Float>(repeating: beta)
        let readC = beta != 0
        var cp = c
        update(c00, cp, va, vb, readC: readC); update(c01, cp + 8, va, vb, readC: readC); cp += ldc
        update(c10, cp, va, vb, readC: readC); update(c11, cp + 8, va, vb, readC: readC); cp += ldc
        update(c20, cp, va, vb, readC: readC); update(c21, cp + 8, va, vb, readC: readC); cp += ldc
        update(c30, cp, va, vb, readC: readC); update(c31, cp + 8, va, vb, readC: readC); cp += ldc
        update(c40, cp, va, vb, readC: readC); update(c41, cp + 8, va, vb, readC: readC); cp += ldc
        update(c50, cp, va, vb, readC: readC); update(c51, cp + 8, va, vb, readC: readC)
    }
}
