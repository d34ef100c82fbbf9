#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Router inputs shared (read-only) by the gating threads.
struct GateInput: @unchecked Sendable {
    var logits: UnsafePointer<Float>
    var bias: UnsafePointer<Float>?
}

/// Router outputs; each gating thread writes its own tokens' rows.
struct GateOutput: @unchecked Sendable {
    var ids: UnsafeMutablePointer<Int32>
    var weights: UnsafeMutablePointer<Float>
}

/// Per-thread scratch and the per-token routing steps of `gate`. The scratch rows are raw
/// allocations owned by this object (no copy-on-write checks in the token loop).
final class GateRouter {
    let c: GatingConfiguration
    let scores: UnsafeMutablePointer<Float>
    let biased: UnsafeMutablePointer<Float>
    let groupScores: UnsafeMutablePointer<Float>
    let groupChosen: UnsafeMutablePointer<Bool>
    let bestIDs: UnsafeMutablePointer<Int>
    let bestValues: UnsafeMutablePointer<Float>

    init(configuration: GatingConfiguration) {
        c = configuration
        scores = .allocate(capacity: c.routedExperts)
        biased = .allocate(capacity: c.routedExperts)
        groupScores = .allocate(capacity: c.groups)
        groupChosen = .allocate(capacity: c.groups)
        groupChosen.initialize(repeating: true, count: c.groups)
        bestIDs = .allocate(capacity: c.topK)
        bestValues = .allocate(capacity: c.topK)
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
        let experts = c.routedExperts
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
        let k = c.topK
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
