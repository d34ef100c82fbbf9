#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The gradient of the gate weights with respect to the router logits, the selection held
/// fixed (the backward of ``gate(logits:tokens:bias:configuration:threads:)``).
///
/// Per token, with `s` the unbiased scores of its logits (sigmoid per expert, or softmax over
/// all experts), `K` the chosen experts (`expertIDs`), `r = routeScale` and `dw_k` the gradient
/// of the loss with respect to chosen expert `k`'s gate weight:
/// - normalised (`normalizeWeights`): `w_k = r · s_k / S`, `S = Σ_{j∈K} s_j`, so
///   `∂L/∂s_j = r/S · (dw_j − Σ_{k∈K} dw_k · s_k / S)` for `j ∈ K` (0 when `S == 0`, where the
///   forward pass leaves the weights 0);
/// - not normalised: `w_k = r · s_k`, so `∂L/∂s_j = r · dw_j`;
/// - and `∂L/∂s_e = 0` for an expert not chosen.
/// Then `dLogit_e = ∂L/∂s_e · s_e (1 − s_e)` for sigmoid, or
/// `dLogit_e = s_e (∂L/∂s_e − Σ_i s_i ∂L/∂s_i)` for softmax.
///
/// The balancing bias only selects, so it gets no gradient (and is not an input here).
///
/// - Parameters:
///   - logits: `tokens × routedExperts` router logits, as given to the forward gate.
///   - expertIDs: `tokens × topK` chosen experts (`GatingResult.expertIDs`).
///   - dWeights: `tokens × topK` gradients of the gate weights, aligned with `expertIDs`.
///   - dLogits: `tokens × routedExperts`, overwritten.
/// - Throws: `GatingError.invalidConfiguration` for a bad configuration, an undersized buffer
///   or an expert id outside `0..<routedExperts`.
public func gateBackward(logits: UnsafeBufferPointer<Float>, tokens: Int, expertIDs: UnsafeBufferPointer<Int32>,
                         dWeights: UnsafeBufferPointer<Float>, configuration: GatingConfiguration,
                         dLogits: UnsafeMutableBufferPointer<Float>) throws {
    try configuration.validate()
    let experts = configuration.routedExperts, topk = configuration.topK
    func fail(_ why: String) -> GatingError { .invalidConfiguration("gateBackward: \(why)") }
    guard tokens >= 0 else { throw fail("negative token count \(tokens)") }
    guard logits.count >= tokens * experts, dLogits.count >= tokens * experts else {
        throw fail("logits and dLogits need \(tokens * experts) values, found \(logits.count) and \(dLogits.count)")
    }
    guard expertIDs.count >= tokens * topk, dWeights.count >= tokens * topk else {
        throw fail("expertIDs and dWeights need \(tokens * topk) values, found \(expertIDs.count) and \(dWeights.count)")
    }
    if let bad = expertIDs.prefix(tokens * topk).first(where: { $0 < 0 || Int($0) >= experts }) {
        throw fail("expert id \(bad) is outside 0..<\(experts)")
    }
    var scores = [Float](repeating: 0, count: experts), dScores = scores
    for token in 0..<tokens {
        let row = token * experts, chosen = token * topk
        gateScores(logits: logits, row: row, experts: experts, function: configuration.scoreFunction, into: &scores)
        for e in 0..<experts { dScores[e] = 0 }
        let r = configuration.routeScale
        if configuration.normalizeWeights {
            var sum: Float = 0, weighted: Float = 0
            for k in 0..<topk { sum += scores[Int(expertIDs[chosen + k])] }
            if sum > 0 {
                for k in 0..<topk { weighted += dWeights[chosen + k] * scores[Int(expertIDs[chosen + k])] / sum }
                for k in 0..<topk { dScores[Int(expertIDs[chosen + k])] += r / sum * (dWeights[chosen + k] - weighted) }
            }
        } else {
            for k in 0..<topk { dScores[Int(expertIDs[chosen + k])] += r * dWeights[chosen + k] }
        }
        switch configuration.scoreFunction {
        case .sigmoid:
            for e in 0..<experts { dLogits[row + e] = dScores[e] * scores[e] * (1 - scores[e]) }
        case .softmax:
            var dot: Float = 0
            for e in 0..<experts { dot += scores[e] * dScores[e] }
            for e in 0..<experts { dLogits[row + e] = scores[e] * (dScores[e] - dot) }
        }
    }
}

/// The unbiased scores of one token's logits (`logits[row ..< row + experts]`).
private func gateScores(logits: UnsafeBufferPointer<Float>, row: Int, experts: Int, function: GatingScoreFunction,
                        into scores: inout [Float]) {
    switch function {
    case .sigmoid:
        for e in 0..<experts { scores[e] = 1 / (1 + expf(-logits[row + e])) }
    case .softmax:
        var top = -Float.infinity
        for e in 0..<experts { top = max(top, logits[row + e]) }
        var sum: Float = 0
        for e in 0..<experts {
            scores[e] = expf(logits[row + e] - top)
            sum += scores[e]
        }
        for e in 0..<experts { scores[e] /= sum }
    }
}
