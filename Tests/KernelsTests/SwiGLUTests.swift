import Foundation
import Testing
import Kernels

@Suite struct SwiGLUTests {
    static func reference(x: [Float], tokens: Int, hidden: Int, inter: Int, w1: [Float], w3: [Float], w2: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: tokens * hidden)
        for t in 0..<tokens {
            var h = [Double](repeating: 0, count: inter)
            for j in 0..<inter {
                var g = 0.0, u = 0.0
                for p in 0..<hidden {
                    g += Double(x[t * hidden + p]) * Double(w1[p * inter + j])
                    u += Double(x[t * hidden + p]) * Double(w3[p * inter + j])
                }
                h[j] = g / (1 + Foundation.exp(-g)) * u
            }
            for d in 0..<hidden {
                var s = 0.0
                for j in 0..<inter { s += h[j] * Double(w2[j * hidden + d]) }
                out[t * hidden + d] = Float(s)
            }
        }
        return out
    }

    @Test("fused SwiGLU FFN matches the reference, across chunk boundaries",
          arguments: [(1, 3, 5, 480), (7, 16, 24, 480), (37, 19, 41, 8), (50, 33, 17, 7)])
    func ffn(shape: (Int, Int, Int, Int)) {
        let (tokens, hidden, inter, chunk) = shape
        var g = SplitMix64(seed: UInt64(tokens * 1000 + hidden))
        let x = ReferenceMath.random(tokens * hidden, &g)
        let w1 = ReferenceMath.random(hidden * inter, &g), w3 = ReferenceMath.random(hidden * inter, &g)
        let w2 = ReferenceMath.random(inter * hidden, &g)
        var out = [Float](repeating: .nan, count: tokens * hidden)
        x.withUnsafeBufferPointer { xp in w1.withUnsafeBufferPointer { p1 in w3.withUnsafeBufferPointer { p3 in
            w2.withUnsafeBufferPointer { p2 in out.withUnsafeMutableBufferPointer { op in
                swigluFFN(x: xp, tokens: tokens, hidden: hidden, intermediate: inter, w1: p1, w3: p3, w2: p2,
                          out: op, chunkRows: chunk)
            } } } } }
        let expected = Self.reference(x: x, tokens: tokens, hidden: hidden, inter: inter, w1: w1, w3: w3, w2: w2)
        #expect(ReferenceMath.maxAbsDiff(out, expected) <= 1e-4 * Float(hidden + inter))
    }

    @Test("grouped SwiGLU applies each expert's weights to its rows")
    func grouped() {
        let sizes = [3, 0, 5, 1], hidden = 6, inter = 10
        var g = SplitMix64(seed: 3)
        let rows = sizes.reduce(0, +)
        let x = ReferenceMath.random(rows * hidden, &g)
        let w1 = ReferenceMath.random(sizes.count * hidden * inter, &g)
        let w3 = ReferenceMath.random(sizes.count * hidden * inter, &g)
        let w2 = ReferenceMath.random(sizes.count * hidden * inter, &g)
        var out = [Float](repeating: 0, count: rows * hidden)
        x.withUnsafeBufferPointer { xp in w1.withUnsafeBufferPointer { p1 in w3.withUnsafeBufferPointer { p3 in
            w2.withUnsafeBufferPointer { p2 in out.withUnsafeMutableBufferPointer { op in
                groupedSwiGLU(groupSizes: sizes, x: xp, hidden: hidden, intermediate: inter, w1: p1, w3: p3, w2: p2, out: op)
            } } } } }
        var row = 0
        for (e, m) in sizes.enumerated() {
            let w = (e * hidden * inter)..<((e + 1) * hidden * inter)
            let expected = Self.reference(x: Array(x[(row * hidden)..<((row + m) * hidden)]), tokens: m, hidden: hidden,
                                          inter: inter, w1: Array(w1[w]), w3: Array(w3[w]), w2: Array(w2[w]))
            #expect(ReferenceMath.maxAbsDiff(Array(out[(row * hidden)..<((row + m) * hidden)]), expected) <= 1e-4)
            row += m
        }
    }

    @Test("siluMultiply edge values")
    func silu() {
        var gate: [Float] = [0, 1, -1, 30, -100]
        let up: [Float] = [5, 2, 2, 1, 1]
        gate.withUnsafeMutableBufferPointer { gp in up.withUnsafeBufferPointer { siluMultiply(gp, $0) } }
        #expect(gate[0] == 0)
        #expect(abs(gate[1] - 2 / (1 + expf(-1))) < 1e-6)
        #expect(abs(gate[2] + 2 / (1 + expf(1))) < 1e-6)
        #expect(abs(gate[3] - 30) < 1e-5)
        #expect(abs(gate[4]) < 1e-30)
    }
}
