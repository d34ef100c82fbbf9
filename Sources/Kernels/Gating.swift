/// Routes tokens to experts from router logits, as DeepSeek-V3 does.
///
/// For each token: scores `s` from the logits (sigmoid or softmax); biased scores
/// `s + bias` (the auxiliary-loss-free balancing bias, used only to *select*); group scores
/// = the sum of each group's two highest biased scores (one if a group has one expert); the
/// `topkGroups` best groups stay eligible; the `topk` best biased scores among their experts
/// are chosen; their gate weights are the *unbiased* scores, divided by their sum when
/// `normalizeWeights` (if that sum is 0 the weights stay 0), times `routeScale`.
///
/// Determinism: every comparison breaks ties toward the lower index (lower group, then lower
/// expert), so the result depends only on the inputs. Chosen experts are listed best first.
///
/// Non-finite input: a NaN or ±infinite logit (or bias) is an error, thrown before any
/// routing as `GatingError.nonFiniteLogit(token:expert:)` for the first one in row-major order;
/// a bad logit means the model diverged, and silently routing around it would hide that.
///
/// Cost: O(experts) per token with no allocation inside the token loop (one scratch row per
/// thread); at 8192 tokens × 256 experts it is a small fraction of the logits GEMM.
///
/// - Parameters:
///   - logits: `tokens × experts` row-major router logits (`x · W_gate`, see `routerLogits`).
///   - bias: per-expert balancing bias (`experts` values), or `nil` for none.
///   - threads: token chunks routed concurrently; results are identical for any value.
public func gate(logits: UnsafeBufferPointer<Float>, tokens: Int, bias: UnsafeBufferPointer<Float>? = nil,
                 configuration: GatingConfiguration, threads: Int = 1) throws -> GatingResult {
    try configuration.validate()
    let experts = configuration.routedExperts, topk = configuration.topK
    precondition(tokens >= 0 && logits.count >= tokens * experts, "gate: logits buffer too small")
    precondition(bias == nil || bias!.count >= experts, "gate: bias must have one value per expert")
    precondition(threads >= 1, "gate: threads must be at least 1")
    if let bias {
        for e in 0..<experts where !bias[e].isFinite { throw GatingError.nonFiniteBias(expert: e) }
    }
    for i in 0..<(tokens * experts) where !logits[i].isFinite {
        throw GatingError.nonFiniteLogit(token: i / experts, expert: i % experts)
    }
    if tokens == 0 {
        return GatingResult(tokens: 0, topK: topk, expertIDs: [], weights: [],
                            tokensPerExpert: [Int](repeating: 0, count: experts))
    }
    var ids = [Int32](repeating: 0, count: tokens * topk)
    var weights = [Float](repeating: 0, count: tokens * topk)
    ids.withUnsafeMutableBufferPointer { idp in
        weights.withUnsafeMutableBufferPointer { wp in
            let out = GateOutput(ids: idp.baseAddress!, weights: wp.baseAddress!)
            let input = GateInput(logits: logits.baseAddress!, bias: bias?.baseAddress)
            let chunks = GemmBlocking.chunks(of: tokens, parts: threads, granule: 64)
            GemmBlocking.parallelFor(chunks.count) { t in
                let router = GateRouter(configuration: configuration)
                for token in chunks[t] {
                    router.route(logits: input.logits + token * experts, bias: input.bias,
                                 ids: out.ids + token * topk, weights: out.weights + token * topk)
                }
            }
        }
    }
    var counts = [Int](repeating: 0, count: experts)
    for id in ids { counts[Int(id)] += 1 }
    return GatingResult(tokens: tokens, topK: topk, expertIDs: ids, weights: weights, tokensPerExpert: counts)
}

/// Router logits `x · W_gate` (`tokens × hidden` times `hidden × experts`, row-major) with the
/// packed SGEMM; feed the result to `gate(logits:…)`.
public func routerLogits(x: UnsafeBufferPointer<Float>, tokens: Int, hidden: Int,
                         gateWeights: UnsafeBufferPointer<Float>, experts: Int, threads: Int = 1) -> [Float] {
    var logits = [Float](repeating: 0, count: tokens * experts)
    logits.withUnsafeMutableBufferPointer { lp in
        sgemm(m: tokens, n: experts, k: hidden, a: x, lda: hidden, b: gateWeights, ldb: experts,
              c: lp, ldc: experts, threads: threads)
    }
    return logits
}
