import Dispatch

/// The BLIS-style blocking of the packed GEMM: the five loops around the micro-kernel.
///
/// ```
/// for jc in 0..<n step nc            // B panel kc×nc lives in L3
///   for pc in 0..<k step kc          //   pack B[pc.., jc..] once, reuse for all of M
///     for ic in 0..<m step mc        //   A block mc×kc lives in L2: pack it
///       for jr in 0..<nc step nr     //     B micro-panel kc×nr stays in L1
///         for ir in 0..<mc step mr   //       A micro-panel streams from L2
///           micro-kernel 6×16
/// ```
///
/// Default block sizes, from this project's reference machine (per core: 64 KiB L1d, 1 MiB L2;
/// 32 MiB shared L3):
/// - `kc = 512`: the B micro-panel (kc × 16 floats = 32 KiB) takes half of L1d and stays there
///   while the A micro-panels (6 × kc floats = 12 KiB each) stream through the other half.
///   A larger kc also means fewer read-modify-write passes over C (k / kc of them).
/// - `mc = 192` (a multiple of 6): the packed A block (mc × kc floats = 384 KiB) takes about
///   40 % of L2, so it stays resident while B micro-panels and C tiles pass through.
/// - `nc = 2048` (a multiple of 16): the packed B panel (kc × nc floats = 4 MiB) sits in L3
///   with room for the other core's panel.
///
/// Measured on that machine (one thread, median of 5, see docs/kernels-and-benchmarks.md): (mc, kc, nc) in
/// {96…288} × {256…640} × {2048, 3072, 4080} were tried; (192, 512, 2048), (240, 384, 2048),
/// (240, 512, 2048) and (144, 640, 2048) were all within noise of each other and of OpenBLAS;
/// smaller kc (256) or nc = 4080 lost 3–10 % on 2048². The micro-kernel's C-tile prefetch
/// mattered more than any block size (+5–10 % on 2048², where C is re-read k/kc times), and
/// prefetching A rows while packing helped n = 256 shapes (A is read from memory once there).
struct GemmBlocking: Sendable, Equatable {
    var mc: Int
    var kc: Int
    var nc: Int

    static let `default` = GemmBlocking(mc: 192, kc: 512, nc: 2048)

    /// Products with at most this many rows read row-major B in place instead of packing it.
    static let directBRowLimit = 3 * GemmMicroKernel.mr

    /// `C = alpha · op(A) · op(B) + beta · C` for logical `a` (m×k), `b` (k×n) on one thread,
    /// using `buffers` for packing.
    static func run(m: Int, n: Int, k: Int, alpha: Float, a: StridedMatrix, b: StridedMatrix,
                    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, buffers: GemmPackBuffers) {
        precondition(b.rowTable == nil, "GemmBlocking: only A may be row-gathered")
        if m == 0 || n == 0 { return }
        if k == 0 || alpha == 0 {
            GemmPackBuffers.scale(c, ldc: ldc, m: m, n: n, beta: beta)
            return
        }
        let blocking = buffers.blocking
        let mr = GemmMicroKernel.mr, nr = GemmMicroKernel.nr
        // Equal A blocks (rounded to whole micro-panels) instead of full blocks plus a small
        // remainder: a thin last block would reuse each B micro-panel for only a few tiles.
        let mBlocks = (m + blocking.mc - 1) / blocking.mc
        let mcEven = ((m + mBlocks - 1) / mBlocks + mr - 1) / mr * mr
        var jc = 0
        while jc < n {
            let nc = min(blocking.nc, n - jc)
            var pc = 0
            while pc < k {
                let kc = min(blocking.kc, k - pc)
                let betaBlock: Float = pc == 0 ? beta : 1
                let bBlock = b.offset(row: pc, column: jc)
                // Few rows (e.g. a tiny expert group): packing B would cost as much as using it,
                // so full 16-column panels of row-major B are read in place; only a trailing
                // partial panel is packed (zero-padded).
                let direct = m <= directBRowLimit && b.columnStride == 1
                let fullPanels = nc / nr * nr
                var ic = 0
                while ic < m {
                    let mc = min(mcEven, m - ic)
                    let aBlock = a.offset(row: ic, column: pc)
                    var jr = 0
                    while jr < nc {
                        let cols = min(nr, nc - jr)
                        // Packing is interleaved with the kernels that first use each panel (B
                        // panels during the first A block, A panels during the first B panel),
                        // so the memory reads of packing overlap with FMA work.
                        if ic == 0 && (!direct || jr >= fullPanels) {
                            buffers.packBPanel(bBlock, column: jr, cols: cols, kc: kc)
                        }
                        let bPanel: UnsafePointer<Float>, bStride: Int
                        if direct && jr < fullPanels {
                            bPanel = bBlock.base + jr; bStride = bBlock.rowStride
                        } else {
                            bPanel = UnsafePointer(buffers.packedB + jr * kc); bStride = nr
                        }
                        var ir = 0
                        while ir < mc {
                            let rows = min(mr, mc - ir)
                            if jr == 0 {
                                buffers.packAPanel(aBlock, row: ir, rows: rows, kc: kc,
                                                   prefetchRows: min(mr, max(0, mc - ir - mr)))
                            }
                            let aPanel = UnsafePointer(buffers.packedA + ir * kc)
                            let cTile = c + (ic + ir) * ldc + jc + jr
                            if rows == mr && cols == nr {
                                GemmMicroKernel.tile6x16(kc: kc, a: aPanel, b: bPanel, bStride: bStride, c: cTile, ldc: ldc,
                                                         alpha: alpha, beta: betaBlock)
                            } else {
                                GemmMicroKernel.tile6x16(kc: kc, a: aPanel, b: bPanel, bStride: bStride, c: buffers.edgeTile,
                                                         ldc: nr, alpha: 1, beta: 0)
                                buffers.mergeEdgeTile(into: cTile, ldc: ldc, rows: rows, cols: cols,
                                                      alpha: alpha, beta: betaBlock)
                            }
                            ir += mr
                        }
                        jr += nr
                    }
                    ic += mc
                }
                pc += kc
            }
            jc += nc
        }
    }

    /// Splits `count` items into at most `parts` contiguous chunks whose boundaries are multiples
    /// of `granule` (except the end).
    static func chunks(of count: Int, parts: Int, granule: Int) -> [Range<Int>] {
        let units = (count + granule - 1) / granule
        let p = max(1, min(parts, units))
        var result: [Range<Int>] = []
        var start = 0
        for t in 0..<p {
            let endUnits = (units * (t + 1)) / p
            let end = min(count, endUnits * granule)
            if end > start { result.append(start..<end) }
            start = end
        }
        return result
    }

    /// Runs `body(t)` for `t` in `0..<count`, on the calling thread when `count == 1`.
    static func parallelFor(_ count: Int, _ body: @Sendable (Int) -> Void) {
        if count <= 1 { if count == 1 { body(0) }; return }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }
}
