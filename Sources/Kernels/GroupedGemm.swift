/// Grouped SGEMM for Mixture-of-Experts layers: for every group `g`,
/// `C_g = alpha · A_g · op(B_g) + beta · C_g`, where `A_g` is the `groupSizes[g]` consecutive
/// rows of `a` (tokens routed to expert `g`, k columns), `B_g` is expert `g`'s k×n weight and
/// `C_g` the matching rows of `c`.
///
/// Layout: `a` is (Σ mᵢ) × k row-major with stride `lda`; `c` is (Σ mᵢ) × n with stride `ldc`;
/// the weights are one buffer, group `g`'s matrix starting at `g · bGroupStride`, stored k×n
/// (`transB == .none`, stride `ldb ≥ n`) or n×k (`.transposed`, stride `ldb ≥ k`).
///
/// Why it keeps the micro-kernel busy: the rows of one expert are one packed A stream, so the
/// expert's B panel is packed once per kc×nc block and reused across all its rows; empty groups
/// cost nothing; groups of ≤ 18 rows (where packing B would cost as much as the product) read
/// row-major B in place; and all groups share one set of pack buffers per thread, so many tiny
/// groups do not pay allocation. With `threads > 1`, every thread takes a slice of the n
/// columns of every group, so the work stays balanced however skewed the group sizes are.
public func groupedSgemm(
    groupSizes: [Int], n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafeBufferPointer<Float>, lda: Int,
    transB: Transpose = .none,
    b: UnsafeBufferPointer<Float>, ldb: Int, bGroupStride: Int,
    beta: Float = 0,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int,
    threads: Int = 1
) {
    precondition(n >= 0 && k >= 0 && groupSizes.allSatisfy { $0 >= 0 }, "groupedSgemm: negative dimension")
    precondition(threads >= 1, "groupedSgemm: threads must be at least 1")
    let rows = groupSizes.reduce(0, +)
    let bRows = transB == .none ? k : n, bCols = transB == .none ? n : k
    precondition(lda >= max(1, k) && ldc >= max(1, n) && ldb >= max(1, bCols), "groupedSgemm: stride too small")
    precondition(rows == 0 || k == 0 || a.count >= (rows - 1) * lda + k, "groupedSgemm: A buffer too small")
    precondition(rows == 0 || c.count >= (rows - 1) * ldc + n, "groupedSgemm: C buffer too small")
    precondition(groupSizes.isEmpty || bRows == 0 || bCols == 0
                 || (bGroupStride >= (bRows - 1) * ldb + bCols
                     && b.count >= (groupSizes.count - 1) * bGroupStride + (bRows - 1) * ldb + bCols),
                 "groupedSgemm: B buffer too small")
    if rows == 0 || n == 0 { return }
    let cBase = MutableMatrix(base: c.baseAddress!, ld: ldc)
    if k == 0 || alpha == 0 {
        GemmPackBuffers.scale(cBase.base, ldc: ldc, m: rows, n: n, beta: beta)
        return
    }
    let bBase = b.baseAddress!
    let bases = WeightBases(pointers: groupSizes.indices.map { bBase + $0 * bGroupStride })
    GroupedGemmDriver.run(groupSizes: groupSizes, n: n, k: k, alpha: alpha, a: a.baseAddress!, lda: lda,
                          transB: transB, weights: bases, ldb: ldb, beta: beta, c: cBase, threads: threads)
}

/// Grouped SGEMM with every expert's weight in its own buffer: `weights[g]` is expert `g`'s
/// k×n (or, with `transB: .transposed`, n×k) row-major matrix with row stride `ldb`. Otherwise
/// identical to the single-buffer `groupedSgemm` (same layout of `a` and `c`, same speed).
public func groupedSgemm(
    groupSizes: [Int], n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafeBufferPointer<Float>, lda: Int,
    transB: Transpose = .none,
    weights: [UnsafeBufferPointer<Float>], ldb: Int,
    beta: Float = 0,
    c: UnsafeMutableBufferPointer<Float>, ldc: Int,
    threads: Int = 1
) {
    precondition(n >= 0 && k >= 0 && groupSizes.allSatisfy { $0 >= 0 }, "groupedSgemm: negative dimension")
    precondition(threads >= 1, "groupedSgemm: threads must be at least 1")
    precondition(weights.count == groupSizes.count, "groupedSgemm: one weight buffer per group")
    let rows = groupSizes.reduce(0, +)
    let bRows = transB == .none ? k : n, bCols = transB == .none ? n : k
    precondition(lda >= max(1, k) && ldc >= max(1, n) && ldb >= max(1, bCols), "groupedSgemm: stride too small")
    precondition(rows == 0 || k == 0 || a.count >= (rows - 1) * lda + k, "groupedSgemm: A buffer too small")
    precondition(rows == 0 || c.count >= (rows - 1) * ldc + n, "groupedSgemm: C buffer too small")
    precondition(bRows == 0 || bCols == 0 || weights.allSatisfy { $0.count >= (bRows - 1) * ldb + bCols },
                 "groupedSgemm: a weight buffer is too small")
    if rows == 0 || n == 0 { return }
    let cBase = MutableMatrix(base: c.baseAddress!, ld: ldc)
    if k == 0 || alpha == 0 {
        GemmPackBuffers.scale(cBase.base, ldc: ldc, m: rows, n: n, beta: beta)
        return
    }
    // An empty group's buffer may be empty (nil base); it is never read, so any non-nil
    // placeholder stands in for it.
    let placeholder = a.baseAddress!
    let bases = WeightBases(pointers: groupSizes.indices.map { g in
        groupSizes[g] > 0 ? weights[g].baseAddress! : placeholder
    })
    GroupedGemmDriver.run(groupSizes: groupSizes, n: n, k: k, alpha: alpha, a: a.baseAddress!, lda: lda,
                          transB: transB, weights: bases, ldb: ldb, beta: beta, c: cBase, threads: threads)
}
