/// Causal multi-head attention core with grouped-query heads, forward: for every sequence
/// `b` and query head `h` (reading key/value head `g = h / (heads / kvHeads)`),
/// `O_h = softmax(mask(Q_h K_gᵀ / √headDim)) V_g`, where the mask lets token `i` see tokens
/// `0…i` of its own sequence. The softmax subtracts each row's maximum.
///
/// Shapes (row-major, dense; `tokens = batch · sequence`, sequence-major): `q` and `out`
/// tokens×(heads·headDim), head `h` in columns `h·headDim ..< (h+1)·headDim`; `k` and `v`
/// tokens×(kvHeads·headDim). `logSumExp` tokens×heads (row = token, column = head) receives the
/// natural-log log-sum-exp of each row of scaled, masked scores, which
/// ``causalAttentionBackward(q:k:v:out:dOut:logSumExp:shape:dQ:dK:dV:threads:)`` uses to
/// recompute the probabilities instead of storing them (as FlashAttention does). `out` and
/// `logSumExp` are overwritten.
///
/// Per (sequence, head) the scores `Q_h K_gᵀ` and the product `P V_g` are packed `sgemm` calls
/// on a sequence×sequence scratch; `threads` > 1 spreads the (sequence, head) pairs over that
/// many tasks, each with its own scratch. Results do not depend on `threads`.
///
/// - Throws: `TrainingKernelError.invalidShape` for an invalid `shape` (see
///   ``AttentionShape/validate()``), `threads < 1`, or a buffer too small.
public func causalAttentionForward(q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>,
                                   v: UnsafeBufferPointer<Float>, shape: AttentionShape,
                                   out: UnsafeMutableBufferPointer<Float>,
                                   logSumExp: UnsafeMutableBufferPointer<Float>,
                                   threads: Int = 1) throws {
    try checkAttention("causalAttentionForward", shape: shape, threads: threads, buffers: [
        ("q", q.count, shape.heads), ("k", k.count, shape.kvHeads), ("v", v.count, shape.kvHeads),
        ("out", out.count, shape.heads),
    ], logSumExp: logSumExp.count)
    var core = CausalAttentionCore(shape: shape, q: q, k: k, v: v, out: UnsafeBufferPointer(out),
                                   logSumExp: UnsafeBufferPointer(logSumExp))
    core.newOut = out
    core.newLogSumExp = logSumExp
    let attention = core
    let pairs = shape.batch * shape.heads, square = shape.sequence * shape.sequence
    let chunks = GemmBlocking.chunks(of: pairs, parts: threads, granule: 1)
    GemmBlocking.parallelFor(chunks.count) { t in
        var scratch = [Float](repeating: 0, count: square)
        scratch.withUnsafeMutableBufferPointer { p in
            for pair in chunks[t] {
                attention.forward(b: pair / shape.heads, h: pair % shape.heads, scratch: p)
            }
        }
    }
}

/// Causal multi-head attention core, backward: from `dOut` (the gradient of the loss with
/// respect to the forward's `out`), `dQ`, `dK` and `dV` (overwritten; the shapes of `q`, `k`,
/// `v`). Probabilities are recomputed from `q`, `k` and the saved `logSumExp`; with
/// `dS = P ⊙ (dP − rowsum(dO ⊙ O))` and `dP = dO V_gᵀ`: `dQ_h = dS K_g / √headDim`,
/// `dK_g = Σ_h dSᵀ Q_h / √headDim`, `dV_g = Σ_h Pᵀ dO_h` (sums over the query heads of group
/// `g`).
///
/// Shapes and layouts as in
/// ``causalAttentionForward(q:k:v:shape:out:logSumExp:threads:)``; `out` and `logSumExp` must be
/// what that forward wrote for these `q`, `k`, `v`. `threads` > 1 spreads the
/// (sequence, key/value head) pairs over that many tasks.
///
/// - Throws: `TrainingKernelError.invalidShape` as the forward does.
public func causalAttentionBackward(q: UnsafeBufferPointer<Float>, k: UnsafeBufferPointer<Float>,
                                    v: UnsafeBufferPointer<Float>, out: UnsafeBufferPointer<Float>,
                                    dOut: UnsafeBufferPointer<Float>,
                                    logSumExp: UnsafeBufferPointer<Float>, shape: AttentionShape,
                                    dQ: UnsafeMutableBufferPointer<Float>,
                                    dK: UnsafeMutableBufferPointer<Float>,
                                    dV: UnsafeMutableBufferPointer<Float>,
                                    threads: Int = 1) throws {
    try checkAttention("causalAttentionBackward", shape: shape, threads: threads, buffers: [
        ("q", q.count, shape.heads), ("k", k.count, shape.kvHeads), ("v", v.count, shape.kvHeads),
        ("out", out.count, shape.heads), ("dOut", dOut.count, shape.heads), ("dQ", dQ.count, shape.heads),
        ("dK", dK.count, shape.kvHeads), ("dV", dV.count, shape.kvHeads),
    ], logSumExp: logSumExp.count)
    var core = CausalAttentionCore(shape: shape, q: q, k: k, v: v, out: out, logSumExp: logSumExp)
    core.dOut = dOut
    core.dQ = dQ
    core.dK = dK
    core.dV = dV
    let attention = core
    let pairs = shape.batch * shape.kvHeads, square = shape.sequence * shape.sequence
    let chunks = GemmBlocking.chunks(of: pairs, parts: threads, granule: 1)
    GemmBlocking.parallelFor(chunks.count) { t in
        var scratch = [Float](repeating: 0, count: 2 * square)
        scratch.withUnsafeMutableBufferPointer { s in
            let p = UnsafeMutableBufferPointer(rebasing: s[0..<square])
            let dP = UnsafeMutableBufferPointer(rebasing: s[square..<(2 * square)])
            for pair in chunks[t] {
                attention.backward(b: pair / shape.kvHeads, g: pair % shape.kvHeads, scratch: p, dP: dP)
            }
        }
    }
}

/// Validates `shape` and `threads`, and that each buffer holds `tokens × (heads · headDim)`
/// values (the third field of each entry is its head count) and `logSumExp` `tokens × heads`.
private func checkAttention(_ kernel: String, shape: AttentionShape, threads: Int,
                            buffers: [(String, Int, Int)], logSumExp: Int) throws {
    try shape.validate()
    guard threads >= 1 else { throw TrainingKernelError.invalidShape("\(kernel): threads must be ≥ 1, got \(threads)") }
    try TrainingKernelError.check(kernel, dimensions: [], buffers: buffers.map {
        (name: $0.0, count: $0.1, needed: (shape.tokens, $0.2 * shape.headDim))
    } + [(name: "logSumExp", count: logSumExp, needed: (shape.tokens, shape.heads))])
}
