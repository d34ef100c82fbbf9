#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    let experts = configuration.experts, topk = configuration.topk
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
        return GatingResult(tokens: 0, topk: topk, expertIDs: [], weights: [],
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
    return GatingResult(tokens: tokens, topk: topk, expertIDs: ids, weights: weights, tokensPerExpert: counts)
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

private struct GateInput: @unchecked Sendable {
    var logits: UnsafePointer<Float>
    var bias: UnsafePointer<Float>?
}

private struct GateOutput: @unchecked Sendable {
    var ids: UnsafeMutablePointer<Int32>
    var weights: UnsafeMutablePointer<Float>
}

/// Per-thread scratch and the per-token routing steps of `gate`. The scratch rows are raw
/// allocations owned by this object (no copy-on-write checks in the token loop).
private final class GateRouter {
    let c: GatingConfiguration
    let scores: UnsafeMutablePointer<Float>
    let biased: UnsafeMutablePointer<Float>
    let groupScores: UnsafeMutablePointer<Float>
    let groupChosen: UnsafeMutablePointer<Bool>
    let bestIDs: UnsafeMutablePointer<Int>
    let bestValues: UnsafeMutablePointer<Float>

    init(configuration: GatingConfiguration) {
        c = configuration
        scores = .allocate(capacity: c.experts)
        biased = .allocate(capacity: c.experts)
        groupScores = .allocate(capacity: c.groups)
        groupChosen = .allocate(capacity: c.groups)
        groupChosen.initialize(repeating: true, count: c.groups)
        bestIDs = .allocate(capacity: c.topk)
        bestValues = .allocate(capacity: c.topk)
    }

    deinit {
        scores.deallocate(); biased.deallocate(); groupScores.deallocate()
        groupChosen.deallocate(); bestIDs.deallocate(); bestValues.deallocate()
    }

    /// `x` ranks above `y`: higher value, or equal value and lower index.
    @inline(__always)
    static func ranksAbove(_ xv: Float, _ xi: Int, _ yv: Float, _ yi: Int) -> Bool {
        xv > yv || (xv == yv && xi < yi)
    }

    func route(logits: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        ids: UnsafeMutablePointer<Int32>, weights: UnsafeMutablePointer<Float>) {
        let experts = c.experts
        // 1. Scores and biased scores.
        do {
            let s = scores
            switch c.scoreFunction {
            case .sigmoid:
                for e in 0..<experts { s[e] = 1 / (1 + expf(-logits[e])) }
            case .softmax:
                var maxLogit = -Float.infinity
                for e in 0..<experts { maxLogit = max(maxLogit, logits[e]) }
                var sum: Float = 0
                for e in 0..<experts { let v = expf(logits[e] - maxLogit); s[e] = v; sum += v }
                let inv = 1 / sum
                for e in 0..<experts { s[e] *= inv }
            }
        }
        if let bias {
            for e in 0..<experts { biased[e] = scores[e] + bias[e] }
        } else {
            for e in 0..<experts { biased[e] = scores[e] }
        }
        // 2. Group limit: keep the topkGroups groups with the best top-2 sums.
        let perGroup = c.expertsPerGroup
        let limitGroups = c.topkGroups < c.groups
        if limitGroups {
            for g in 0..<c.groups {
                var first = -Float.infinity, second = -Float.infinity
                for e in (g * perGroup)..<((g + 1) * perGroup) {
                    let v = biased[e]
                    if v > first { second = first; first = v } else if v > second { second = v }
                }
                groupScores[g] = perGroup == 1 ? first : first + second
                groupChosen[g] = false
            }
            for _ in 0..<c.topkGroups {
                var best = -1
                for g in 0..<c.groups where !groupChosen[g] {
                    if best < 0 || Self.ranksAbove(groupScores[g], g, groupScores[best], best) { best = g }
                }
                groupChosen[best] = true
            }
        }
        // 3. Top-k experts of the eligible groups: a sorted insertion list of length topk.
        let k = c.topk
        var filled = 0
        for g in 0..<c.groups where !limitGroups || groupChosen[g] {
            for e in (g * perGroup)..<((g + 1) * perGroup) {
                let v = biased[e]
                // Experts arrive in increasing index, so an equal value never displaces.
                if filled == k && !(v > bestValues[k - 1]) { continue }
                var pos = filled == k ? k - 1 : filled
                while pos > 0 && v > bestValues[pos - 1] {
                    bestValues[pos] = bestValues[pos - 1]; bestIDs[pos] = bestIDs[pos - 1]; pos -= 1
                }
                bestValues[pos] = v; bestIDs[pos] = e
                if filled < k { filled += 1 }
            }
        }
        // 4. Weights from the unbiased scores.
        var sum: Float = 0
        for j in 0..<k { sum += scores[bestIDs[j]] }
        let scale = c.normalizeWeights ? (sum > 0 ? c.routeScale / sum : 0) : c.routeScale
        for j in 0..<k {
            ids[j] = Int32(bestIDs[j])
            weights[j] = scores[bestIDs[j]] * scale
        }
    }
}
