import Foundation
import Testing
import Kernels

@Suite struct GatingBackwardTests {
    /// `Σ c ⊙ gate weights` in Double for the fixed selection `ids`.
    static func loss(logits: [Double], ids: [Int32], c: [Float], tokens: Int, configuration: GatingConfiguration) -> Double {
        let e = configuration.routedExperts, k = configuration.topK
        var total = 0.0
        for t in 0..<tokens {
            let row = Array(logits[(t * e)..<((t + 1) * e)])
            var scores: [Double]
            switch configuration.scoreFunction {
            case .sigmoid: scores = row.map { 1 / (1 + exp(-$0)) }
            case .softmax:
                let top = row.max() ?? 0, exps = row.map { exp($0 - top) }, sum = exps.reduce(0, +)
                scores = exps.map { $0 / sum }
            }
            let chosen = (0..<k).map { scores[Int(ids[t * k + $0])] }
            let sum = chosen.reduce(0, +)
            for j in 0..<k {
                let weight = (configuration.normalizeWeights ? chosen[j] / sum : chosen[j]) * Double(configuration.routeScale)
                total += Double(c[t * k + j]) * weight
            }
        }
        return total
    }

    static let configurations: [GatingConfiguration] = [
        GatingConfiguration(routedExperts: 8, groups: 4, topkGroups: 2, topK: 2, scoreFunction: .sigmoid, routeScale: 2.5),
        GatingConfiguration(routedExperts: 6, topK: 3, scoreFunction: .sigmoid, routeScale: 1.5, normalizeWeights: false),
        GatingConfiguration(routedExperts: 5, topK: 2, scoreFunction: .softmax),
        GatingConfiguration(routedExperts: 4, topK: 1, scoreFunction: .softmax, normalizeWeights: true),
        GatingConfiguration(routedExperts: 1, topK: 1, scoreFunction: .sigmoid),
    ]

    @Test("dLogits match central differences of the gate weights, selection fixed", arguments: configurations)
    func matchesFiniteDifferences(configuration: GatingConfiguration) throws {
        let tokens = 5, e = configuration.routedExperts, k = configuration.topK
        var g = SplitMix64(seed: UInt64(e * 10 + k))
        let logits = ReferenceMath.random(tokens * e, &g).map { $0 * 3 }, bias = ReferenceMath.random(e, &g)
        let c = ReferenceMath.random(tokens * k, &g)
        let routed = try logits.withUnsafeBufferPointer { lp in
            try bias.withUnsafeBufferPointer { try gate(logits: lp, tokens: tokens, bias: $0, configuration: configuration) }
        }
        var dLogits = [Float](repeating: .nan, count: tokens * e)
        try logits.withUnsafeBufferPointer { lp in try routed.expertIDs.withUnsafeBufferPointer { ids in
            try c.withUnsafeBufferPointer { cp in try dLogits.withUnsafeMutableBufferPointer {
                try gateBackward(logits: lp, tokens: tokens, expertIDs: ids, dWeights: cp, configuration: configuration, dLogits: $0)
            } } } }
        let expected = GradientCheck.gradient(at: logits.map(Double.init)) {
            Self.loss(logits: $0, ids: routed.expertIDs, c: c, tokens: tokens, configuration: configuration)
        }
        #expect(GradientCheck.maxScaledError(dLogits, expected) <= 1e-5)
        // The loss of the forward gate's own weights is the reference's at the same logits.
        let forward = zip(c, routed.weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let reference = Self.loss(logits: logits.map(Double.init), ids: routed.expertIDs, c: c, tokens: tokens,
                                  configuration: configuration)
        #expect(abs(forward - reference) <= 1e-5 * (1 + abs(reference)))
    }

    @Test("an expert id out of range or a short buffer is an error")
    func refusesBadInput() throws {
        let configuration = GatingConfiguration(routedExperts: 2, topK: 1)
        var dLogits = [Float](repeating: 0, count: 2)
        #expect(throws: GatingError.self) {
            try [Float](repeating: 0, count: 2).withUnsafeBufferPointer { lp in
                try [Int32(2)].withUnsafeBufferPointer { ids in try [Float(1)].withUnsafeBufferPointer { dw in
                    try dLogits.withUnsafeMutableBufferPointer {
                        try gateBackward(logits: lp, tokens: 1, expertIDs: ids, dWeights: dw, configuration: configuration,
                                         dLogits: $0)
                    } } } }
        }
        #expect(throws: GatingError.self) {
            try [Float](repeating: 0, count: 1).withUnsafeBufferPointer { lp in
                try [Int32(0)].withUnsafeBufferPointer { ids in try [Float(1)].withUnsafeBufferPointer { dw in
                    try dLogits.withUnsafeMutableBufferPointer {
                        try gateBackward(logits: lp, tokens: 1, expertIDs: ids, dWeights: dw, configuration: configuration,
                                         dLogits: $0)
                    } } } }
        }
    }
}
