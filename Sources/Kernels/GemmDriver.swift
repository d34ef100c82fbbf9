/// Splits a GEMM across threads (if asked) and runs `GemmBlocking` on each slice with its own
/// pack buffers (borrowed from `GemmBufferPool`). Column slices are used when C is at least as wide as tall (each thread packs
/// its own part of B and all of A), row slices otherwise; boundaries fall on micro-tile edges.
enum GemmDriver {
    static func run(m: Int, n: Int, k: Int, alpha: Float, a: StridedMatrix, b: StridedMatrix,
                    beta: Float, c: MutableMatrix, threads: Int,
                    blocking: GemmBlocking = .default) {
        if threads <= 1 {
            GemmBufferPool.shared.withBuffers(blocking) { buffers in
                GemmBlocking.run(m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta,
                                 c: c.base, ldc: c.ld, buffers: buffers)
            }
            return
        }
        let splitColumns = n >= m
        let slices = splitColumns
            ? GemmBlocking.chunks(of: n, parts: threads, granule: GemmMicroKernel.nr)
            : GemmBlocking.chunks(of: m, parts: threads, granule: GemmMicroKernel.mr)
        GemmBlocking.parallelFor(slices.count) { t in
            let r = slices[t]
            GemmBufferPool.shared.withBuffers(blocking) { buffers in
            if splitColumns {
                GemmBlocking.run(m: m, n: r.count, k: k, alpha: alpha, a: a,
                                 b: b.offset(row: 0, column: r.lowerBound), beta: beta,
                                 c: c.base + r.lowerBound, ldc: c.ld, buffers: buffers)
            } else {
                GemmBlocking.run(m: r.count, n: n, k: k, alpha: alpha,
                                 a: a.offset(row: r.lowerBound, column: 0), b: b, beta: beta,
                                 c: c.base + r.lowerBound * c.ld, ldc: c.ld, buffers: buffers)
            }
            }
        }
    }
}
