/// Base pointers of the experts' weights, handed to the worker threads.
struct WeightBases: @unchecked Sendable {
    var pointers: [UnsafePointer<Float>]
}

/// The loop shared by both `groupedSgemm` forms: each thread takes a slice of the n columns of
/// every group and runs the blocked GEMM group by group with one borrowed set of pack buffers.
enum GroupedGemmDriver {
    static func run(groupSizes: [Int], n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                    transB: Transpose, weights: WeightBases, ldb: Int, beta: Float, c: MutableMatrix,
                    threads: Int) {
        // Row offset of every group, so each thread can address any group directly.
        var running = 0
        let offsets: [Int] = groupSizes.map { s in defer { running += s }; return running }
        let blocking = GemmBlocking.default
        let slices = GemmBlocking.chunks(of: n, parts: threads, granule: GemmMicroKernel.nr)
        let aMatrix = StridedMatrix(base: a, rowStride: lda, columnStride: 1)
        GemmBlocking.parallelFor(slices.count) { t in
            let cols = slices[t]
            GemmBufferPool.shared.withBuffers(blocking) { buffers in
                for g in groupSizes.indices where groupSizes[g] > 0 {
                    let bg = StridedMatrix(weights.pointers[g], ld: ldb, transpose: transB)
                    GemmBlocking.run(m: groupSizes[g], n: cols.count, k: k, alpha: alpha,
                                     a: aMatrix.offset(row: offsets[g], column: 0),
                                     b: bg.offset(row: 0, column: cols.lowerBound), beta: beta,
                                     c: c.base + offsets[g] * c.ld + cols.lowerBound, ldc: c.ld,
                                     buffers: buffers)
                }
            }
        }
    }
}
