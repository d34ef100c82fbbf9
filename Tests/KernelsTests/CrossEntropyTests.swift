import Foundation
import Testing
import Kernels

@Suite struct CrossEntropyTests {
    static func reference(_ logits: [Double], _ targets: [Int32], tokens: Int, vocabulary: Int) -> Double {
        (0..<tokens).reduce(0.0) { total, t in
            let row = logits[(t * vocabulary)..<((t + 1) * vocabulary)]
            let top = row.max() ?? 0
            let lse = top + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp($1 - top) })
            return total + lse - logits[t * vocabulary + Int(targets[t])]
        } / Double(tokens)
    }

    static func run(_ logits: [Float], _ targets: [Int32], vocabulary: Int, gradient: Bool = true) throws -> (Double, [Float]) {
        var dLogits = [Float](repeating: .nan, count: logits.count)
        let loss = try logits.withUnsafeBufferPointer { lp in try targets.withUnsafeBufferPointer { tp in
            try dLogits.withUnsafeMutableBufferPointer { dp in
                try softmaxCrossEntropy(logits: lp, targets: tp, tokens: targets.count, vocabulary: vocabulary,
                                        dLogits: gradient ? dp : nil)
            } } }
        return (loss, dLogits)
    }

    @Test("loss matches the reference and the gradient central differences",
          arguments: [(1, 2), (1, 7), (6, 2), (9, 13), (4, 100)])
    func lossAndGradient(shape: (Int, Int)) throws {
        let (tokens, vocabulary) = shape
        var g = SplitMix64(seed: UInt64(tokens * 101 + vocabulary))
        let logits = ReferenceMath.random(tokens * vocabulary, &g).map { $0 * 4 }
        let targets = (0..<tokens).map { _ in Int32(g.next() % UInt64(vocabulary)) }
        let (loss, dLogits) = try Self.run(logits, targets, vocabulary: vocabulary)
        let logitsD = logits.map(Double.init)
        #expect(abs(loss - Self.reference(logitsD, targets, tokens: tokens, vocabulary: vocabulary)) <= 1e-5)
        let numeric = GradientCheck.gradient(at: logitsD) { Self.reference($0, targets, tokens: tokens, vocabulary: vocabulary) }
        #expect(GradientCheck.maxScaledError(dLogits, numeric) <= 1e-5)
        let (lossOnly, untouched) = try Self.run(logits, targets, vocabulary: vocabulary, gradient: false)
        #expect(lossOnly == loss && untouched.allSatisfy(\.isNaN))
    }

    @Test("huge logits stay finite (the row maximum is subtracted)")
    func stable() throws {
        let (loss, dLogits) = try Self.run([1000, 0, -1000, 3e4, 3e4, 0], [0, 1], vocabulary: 3)
        #expect(abs(loss - (0 + Foundation.log(2.0)) / 2) <= 1e-6)
        #expect(dLogits.allSatisfy { $0.isFinite })
        #expect(abs(dLogits[3] - 0.25) <= 1e-6 && abs(dLogits[4] + 0.25) <= 1e-6)
    }

    @Test("no tokens give a loss of 0")
    func empty() throws {
        #expect(try Self.run([], [], vocabulary: 5).0 == 0)
    }

    @Test("out-of-range targets are thrown errors naming the position", arguments: [Int32(-1), 3])
    func badTarget(target: Int32) {
        let error = #expect(throws: TrainingKernelError.self) { _ = try Self.run([0, 0, 0, 0, 0, 0], [1, target], vocabulary: 3) }
        #expect(error == .targetOutOfRange(position: 1, target: Int(target), classes: 3))
    }
}
