import Foundation
import Testing
import Kernels

@Suite struct GatingTests {
    /// The routing rule written as plainly as possible: sort everything.
    static func reference(logits: [Float], tokens: Int, bias: [Float]?, c: GatingConfiguration)
        -> (ids: [Int32], weights: [Float]) {
        var ids: [Int32] = [], weights: [Float] = []
        let perGroup = c.routedExperts / c.groups
        for t in 0..<tokens {
            let row = Array(logits[(t * c.routedExperts)..<((t + 1) * c.routedExperts)])
            var scores: [Float]
            switch c.scoreFunction {
            case .sigmoid: scores = row.map { 1 / (1 + expf(-$0)) }
            case .softmax:
                let m = row.max()!
                let e = row.map { expf($0 - m) }
                var sum: Float = 0
                for v in e { sum += v }
                scores = e.map { $0 * (1 / sum) }
            }
            let biased = (0..<c.routedExperts).map { scores[$0] + (bias?[$0] ?? 0) }
            var eligible = Array(0..<c.routedExperts)
            if c.topkGroups < c.groups {
                let groupScore = (0..<c.groups).map { g -> Float in
                    let top = biased[(g * perGroup)..<((g + 1) * perGroup)].sorted(by: >)
                    return perGroup == 1 ? top[0] : top[0] + top[1]
                }
                let keep = Set((0..<c.groups).sorted { groupScore[$0] > groupScore[$1] || (groupScore[$0] == groupScore[$1] && $0 < $1) }
                    .prefix(c.topkGroups))
                eligible = eligible.filter { keep.contains($0 / perGroup) }
            }
            let chosen = eligible.sorted { biased[$0] > biased[$1] || (biased[$0] == biased[$1] && $0 < $1) }.prefix(c.topK)
            var sum: Float = 0
            for e in chosen { sum += scores[e] }
            let scale = c.normalizeWeights ? (sum > 0 ? c.routeScale / sum : 0) : c.routeScale
            for e in chosen { ids.append(Int32(e)); weights.append(scores[e] * scale) }
        }
        return (ids, weights)
    }

    func check(_ c: GatingConfiguration, tokens: Int, seed: UInt64, levels: Int? = nil, withBias: Bool = true,
               threads: Int = 1) throws {
        var g = SplitMix64(seed: seed)
        var logits = ReferenceMath.random(tokens * c.routedExperts, &g).map { $0 * 4 }
        if let levels { logits = logits.map { ($0 * Float(levels)).rounded() / Float(levels) } }  // many ties
        let bias: [Float]? = withBias ? ReferenceMath.random(c.routedExperts, &g).map { levels == nil ? $0 * 0.1 : 0 } : nil
        let result = try logits.withUnsafeBufferPointer { lp in
            if let bias {
                return try bias.withUnsafeBufferPointer { bp in
                    try gate(logits: lp, tokens: tokens, bias: bp, configuration: c, threads: threads)
                }
            }
            return try gate(logits: lp, tokens: tokens, configuration: c, threads: threads)
        }
        let expected = Self.reference(logits: logits, tokens: tokens, bias: bias, c: c)
        #expect(result.expertIDs == expected.ids)
        #expect(ReferenceMath.maxAbsDiff(result.weights, expected.weights) <= 1e-6)
        #expect(result.tokensPerExpert.reduce(0, +) == tokens * c.topK)
        for e in 0..<c.routedExperts {
            #expect(result.tokensPerExpert[e] == expected.ids.filter { $0 == e }.count)
        }
        // No token picks one expert twice.
        for t in 0..<tokens { #expect(Set(result.expertIDs[(t * c.topK)..<((t + 1) * c.topK)]).count == c.topK) }
    }

    @Test("DeepSeek-V3 routing (8 groups, keep 4, top-8, sigmoid, bias) matches the reference")
    func deepSeekV3() throws {
        try check(.deepSeekV3, tokens: 64, seed: 1)
        try check(.deepSeekV3, tokens: 40, seed: 2, threads: 3)
    }

    @Test("group limit off, softmax, no bias, odd sizes")
    func variants() throws {
        try check(GatingConfiguration(routedExperts: 16, topK: 3), tokens: 50, seed: 3)
        try check(GatingConfiguration(routedExperts: 12, groups: 4, topkGroups: 4, topK: 2, scoreFunction: .softmax),
                  tokens: 30, seed: 4, withBias: false)
        try check(GatingConfiguration(routedExperts: 10, groups: 5, topkGroups: 2, topK: 4, routeScale: 2.5),
                  tokens: 30, seed: 5)
        try check(GatingConfiguration(routedExperts: 6, groups: 6, topkGroups: 3, topK: 3), tokens: 20, seed: 6)  // 1 per group
    }

    @Test("ties: lower group and lower expert index win")
    func ties() throws {
        try check(.deepSeekV3, tokens: 40, seed: 7, levels: 1)
        try check(GatingConfiguration(routedExperts: 8, groups: 4, topkGroups: 2, topK: 3), tokens: 20, seed: 8, levels: 1)
        // All logits equal: groups 0,1 and experts 0,1,2 in order.
        let logits = [Float](repeating: 0.5, count: 8)
        let r = try logits.withUnsafeBufferPointer {
            try gate(logits: $0, tokens: 1, configuration: GatingConfiguration(routedExperts: 8, groups: 4, topkGroups: 2, topK: 3))
        }
        #expect(r.expertIDs == [0, 1, 2])
        #expect(r.weights.allSatisfy { abs($0 - 1.0 / 3) < 1e-6 })
    }

    @Test("bias changes selection but not weights")
    func biasSelectsOnly() throws {
        let logits: [Float] = [2, 1, 0, -1]
        let bias: [Float] = [0, 0, 0, 5]
        let c = GatingConfiguration(routedExperts: 4, topK: 2)
        let r = try logits.withUnsafeBufferPointer { lp in try bias.withUnsafeBufferPointer { bp in
            try gate(logits: lp, tokens: 1, bias: bp, configuration: c)
        } }
        #expect(r.expertIDs == [3, 0])
        let s3 = 1 / (1 + expf(1)), s0 = 1 / (1 + expf(-2))
        #expect(abs(r.weights[0] - s3 / (s3 + s0)) < 1e-6 && abs(r.weights[1] - s0 / (s3 + s0)) < 1e-6)
    }

    @Test("NaN and infinite logits or bias are errors naming the first bad entry",
          arguments: [Float.nan, .infinity, -.infinity])
    func nonFinite(bad: Float) throws {
        var logits = [Float](repeating: 0, count: 3 * 8)
        logits[2 * 8 + 5] = bad
        logits[2 * 8 + 7] = bad
        let c = GatingConfiguration(routedExperts: 8, groups: 2, topkGroups: 1, topK: 2)
        #expect(throws: GatingError.nonFiniteLogit(token: 2, expert: 5)) {
            try logits.withUnsafeBufferPointer { try gate(logits: $0, tokens: 3, configuration: c) }
        }
        let fine = [Float](repeating: 0, count: 8)
        var bias = [Float](repeating: 0, count: 8)
        bias[4] = bad
        #expect(throws: GatingError.nonFiniteBias(expert: 4)) {
            try fine.withUnsafeBufferPointer { lp in try bias.withUnsafeBufferPointer { bp in
                try gate(logits: lp, tokens: 1, bias: bp, configuration: c)
            } }
        }
    }

    @Test("zero tokens give an empty result")
    func zeroTokens() throws {
        let r = try [Float]().withUnsafeBufferPointer { try gate(logits: $0, tokens: 0, configuration: .deepSeekV3) }
        #expect(r.expertIDs.isEmpty && r.weights.isEmpty && r.tokensPerExpert == [Int](repeating: 0, count: 256))
    }

    @Test("invalid configurations are rejected")
    func invalid() {
        #expect(throws: GatingError.self) { try GatingConfiguration(routedExperts: 10, groups: 3, topK: 1).validate() }
        #expect(throws: GatingError.self) { try GatingConfiguration(routedExperts: 8, groups: 4, topkGroups: 1, topK: 3).validate() }
        #expect(throws: GatingError.self) { try GatingConfiguration(routedExperts: 8, groups: 2, topkGroups: 3, topK: 1).validate() }
    }

    @Test("routerLogits is x · W_gate")
    func logits() {
        let x: [Float] = [1, 2, 3, 4], w: [Float] = [1, 0, 1, 0, 1, 1]  // 2×2 · 2×3
        let l = x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in
            routerLogits(x: xp, tokens: 2, hidden: 2, gateWeights: wp, experts: 3)
        } }
        #expect(l == [1, 2, 3, 3, 4, 7])
    }
}
