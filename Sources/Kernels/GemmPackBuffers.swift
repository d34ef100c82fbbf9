import CKernelSupport

/// The scratch memory of the packed GEMM and the only code that writes it.
///
/// One instance holds, 64-byte aligned, the packed A block (`mc × kc`, as `mr`-row
/// micro-panels), the packed B panel (`kc × nc`, as `nr`-column micro-panels) and a 6×16
/// scratch tile for edge tiles. A GEMM thread borrows one from `GemmBufferPool` for the whole
/// call (a grouped GEMM for all its groups), and the block loops in `GemmBlocking` reuse it
/// for every block, so the hot path never allocates.
/// Like `Deque._UnsafeHandle` in swift-collections, all raw pointer arithmetic on this memory is
/// fenced inside this type; it is not thread-safe and each thread owns its own instance.
final class GemmPackBuffers: @unchecked Sendable {
    let blocking: GemmBlocking
    let packedA: UnsafeMutablePointer<Float>
    let packedB: UnsafeMutablePointer<Float>
    let edgeTile: UnsafeMutablePointer<Float>
    private let countA: Int, countB: Int

    /// Buffers for blocks no larger than `blocking` and the problem (`m × n × k`) needs.
    init(blocking: GemmBlocking, m: Int, n: Int, k: Int) {
        self.blocking = blocking
        let mr = GemmMicroKernel.mr, nr = GemmMicroKernel.nr
        let kc = max(1, min(blocking.kc, k))
        let mc = (min(blocking.mc, max(m, 1)) + mr - 1) / mr * mr
        let nc = (min(blocking.nc, max(n, 1)) + nr - 1) / nr * nr
        countA = mc * kc
        countB = nc * kc
        packedA = Self.allocate(countA)
        packedB = Self.allocate(countB)
        edgeTile = Self.allocate(mr * nr)
    }

    deinit {
        packedA.deallocate(); packedB.deallocate(); edgeTile.deallocate()
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Packs logical rows `row..<row + rows` (rows ≤ 6), columns `0..<kc` of `a` as one
    /// `mr`-row micro-panel at `packedA + row·kc`: element `(r, p)` at `[p·mr + r]`; missing
    /// rows are zero. Panels of one A block (`row` a multiple of 6, below `mc`) do not overlap.
    func packAPanel(_ a: StridedMatrix, row: Int, rows: Int, kc: Int, prefetchRows: Int = 0) {
        let mr = GemmMicroKernel.mr
        precondition(rows >= 1 && rows <= mr && (row + mr) * kc <= countA)
        let dst = packedA + row * kc
        if let table = a.rowTable {
            packGatheredAPanel(table + row, column: a.tableColumn, rows: rows, kc: kc, into: dst,
                               next: prefetchRows > 0 ? table + row + mr : nil, prefetchRows: prefetchRows)
            return
        }
        do {
            let src = a.base + row * a.rowStride
            if rows == mr && a.columnStride == 1 {
                // Row-major A: six rows read in parallel, one column at a time.
                let rs = a.rowStride
                let r0 = src, r1 = src + rs, r2 = src + 2 * rs, r3 = src + 3 * rs, r4 = src + 4 * rs, r5 = src + 5 * rs
                // A is usually read from memory exactly once: while packing this panel, prefetch
                // the same columns of the next panel's rows (`prefetchRows` of them), so they
                // arrive during this panel's micro-kernels and its own packing hits cache.
                let next = src + mr * rs
                var p0 = 0
                while p0 < kc {
                    var q = next + p0
                    for _ in 0..<prefetchRows { frugal_prefetch_read(q); q += rs }
                    for p in p0..<min(kc, p0 + 16) {
                        let d = dst + p * mr
                        d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p]
                    }
                    p0 += 16
                }
            } else if rows == mr && a.rowStride == 1 {
                // Transposed A: each column holds the six values contiguously.
                let cs = a.columnStride
                for p in 0..<kc {
                    let s = src + p * cs, d = dst + p * mr
                    d[0] = s[0]; d[1] = s[1]; d[2] = s[2]; d[3] = s[3]; d[4] = s[4]; d[5] = s[5]
                }
            } else {
                for p in 0..<kc {
                    let d = dst + p * mr
                    for r in 0..<mr {
                        d[r] = r < rows ? src[r * a.rowStride + p * a.columnStride] : 0
                    }
                }
            }
        }
    }

    /// ``packAPanel(_:row:rows:kc:prefetchRows:)`` for a row-gathered A: row `r` of the panel is
    /// `rows[r] + column`, read six at a time as the strided row-major case reads them (the same
    /// packed values, so the same product); `next` holds the next panel's rows to prefetch.
    private func packGatheredAPanel(_ rows: UnsafePointer<UnsafePointer<Float>>, column: Int, rows count: Int, kc: Int,
                                    into dst: UnsafeMutablePointer<Float>, next: UnsafePointer<UnsafePointer<Float>>?,
                                    prefetchRows: Int) {
        let mr = GemmMicroKernel.mr
        guard count == mr else {
            for p in 0..<kc {
                let d = dst + p * mr
                for r in 0..<mr { d[r] = r < count ? rows[r][column + p] : 0 }
            }
            return
        }
        let r0 = rows[0] + column, r1 = rows[1] + column, r2 = rows[2] + column
        let r3 = rows[3] + column, r4 = rows[4] + column, r5 = rows[5] + column
        var p0 = 0
        while p0 < kc {
            if let next { for r in 0..<prefetchRows { frugal_prefetch_read(next[r] + column + p0) } }
            for p in p0..<min(kc, p0 + 16) {
                let d = dst + p * mr
                d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p]
            }
            p0 += 16
        }
    }

    /// Packs logical rows `0..<kc`, columns `column..<column + cols` (cols ≤ 16) of `b` as one
    /// `nr`-column micro-panel at `packedB + column·kc`: element `(p, j)` at `[p·nr + j]`;
    /// missing columns are zero.
    func packBPanel(_ b: StridedMatrix, column: Int, cols: Int, kc: Int) {
        let nr = GemmMicroKernel.nr
        precondition(cols >= 1 && cols <= nr && (column + nr) * kc <= countB)
        let dst = packedB + column * kc
        let src = b.base + column * b.columnStride
        do {
            if cols == nr && b.columnStride == 1 {
                let rs = b.rowStride
                for p in 0..<kc {
                    let s = src + p * rs, d = dst + p * nr
                    GemmMicroKernel.store8(GemmMicroKernel.load8(s), d)
                    GemmMicroKernel.store8(GemmMicroKernel.load8(s + 8), d + 8)
                }
            } else if cols == nr && b.rowStride == 1 {
                // Transposed B: sixteen stored rows read in parallel.
                let cs = b.columnStride
                for p in 0..<kc {
                    let d = dst + p * nr
                    var s = src + p
                    for jj in 0..<nr { d[jj] = s.pointee; s += cs }
                }
            } else {
                for p in 0..<kc {
                    let d = dst + p * nr
                    for jj in 0..<nr {
                        d[jj] = jj < cols ? src[p * b.rowStride + jj * b.columnStride] : 0
                    }
                }
            }
        }
    }

    /// `C[0..<rows, 0..<cols] = alpha · edgeTile + beta · C` for a partial tile (`beta == 0`
    /// does not read C).
    func mergeEdgeTile(into c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                       alpha: Float, beta: Float) {
        let nr = GemmMicroKernel.nr
        for r in 0..<rows {
            let t = edgeTile + r * nr, row = c + r * ldc
            if beta == 0 {
                for j in 0..<cols { row[j] = alpha * t[j] }
            } else {
                for j in 0..<cols { row[j] = (alpha * t[j]).addingProduct(beta, row[j]) }
            }
        }
    }

    /// `C = beta · C` for an `m × n` block (`beta == 0` stores zeros without reading).
    static func scale(_ c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, beta: Float) {
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: n) } else if beta != 1 {
                for j in 0..<n { row[j] *= beta }
            }
        }
    }
}
