import Testing
import Kernels

@Suite struct EmbeddingTests {
    static func forward(_ ids: [Int32], _ table: [Float], vocabulary: Int, hidden: Int) throws -> [Float] {
        var out = [Float](repeating: .nan, count: ids.count * hidden)
        try ids.withUnsafeBufferPointer { ip in try table.withUnsafeBufferPointer { tp in
            try out.withUnsafeMutableBufferPointer { op in
                try embeddingForward(ids: ip, tokens: ids.count, table: tp, vocabulary: vocabulary, hidden: hidden, out: op)
            } } }
        return out
    }

    static func backward(_ ids: [Int32], _ dOut: [Float], into dTable: inout [Float], vocabulary: Int, hidden: Int) throws {
        try ids.withUnsafeBufferPointer { ip in try dOut.withUnsafeBufferPointer { gp in
            try dTable.withUnsafeMutableBufferPointer { dp in
                try embeddingBackward(ids: ip, tokens: ids.count, dOut: gp, vocabulary: vocabulary, hidden: hidden, dTable: dp)
            } } }
    }

    @Test("forward copies the rows of the ids", arguments: [(1, 2, 1), (5, 3, 4), (12, 7, 9)])
    func forward(shape: (Int, Int, Int)) throws {
        let (tokens, vocabulary, hidden) = shape
        var g = SplitMix64(seed: UInt64(tokens * 13 + hidden))
        let table = ReferenceMath.random(vocabulary * hidden, &g)
        let ids = (0..<tokens).map { _ in Int32(g.next() % UInt64(vocabulary)) }
        let out = try Self.forward(ids, table, vocabulary: vocabulary, hidden: hidden)
        for (t, id) in ids.enumerated() {
            #expect(Array(out[(t * hidden)..<((t + 1) * hidden)]) == Array(table[(Int(id) * hidden)..<((Int(id) + 1) * hidden)]))
        }
    }

    @Test("backward scatter-adds, repeated ids summed, and matches central differences")
    func backward() throws {
        let vocabulary = 4, hidden = 3, ids: [Int32] = [2, 0, 2, 3, 2]
        var g = SplitMix64(seed: 21)
        let table = ReferenceMath.random(vocabulary * hidden, &g), c = ReferenceMath.random(ids.count * hidden, &g)
        var dTable = [Float](repeating: 1, count: vocabulary * hidden)  // accumulated into
        try Self.backward(ids, c, into: &dTable, vocabulary: vocabulary, hidden: hidden)
        let numeric = GradientCheck.gradient(at: table.map(Double.init)) { t in
            GradientCheck.dot(c, ids.enumerated().flatMap { _, id in t[(Int(id) * hidden)..<((Int(id) + 1) * hidden)] })
        }
        #expect(GradientCheck.maxScaledError(dTable, numeric.map { $0 + 1 }) <= 1e-6)
        #expect(dTable[1 * hidden] == 1)  // id 1 never occurs
    }

    @Test("out-of-range ids are thrown errors naming the position", arguments: [Int32(-1), 4, Int32.max])
    func badID(id: Int32) throws {
        let error = #expect(throws: TrainingKernelError.self) {
            _ = try Self.forward([0, id], [Float](repeating: 0, count: 8), vocabulary: 4, hidden: 2)
        }
        #expect(error == .tokenOutOfRange(position: 1, token: Int(id), vocabulary: 4))
        var dTable = [Float](repeating: 0, count: 8)
        #expect(throws: TrainingKernelError.self) {
            try Self.backward([id], [1, 1], into: &dTable, vocabulary: 4, hidden: 2)
        }
        #expect(dTable.allSatisfy { $0 == 0 })
    }

    @Test("a table too small is a thrown error")
    func smallTable() {
        #expect(throws: TrainingKernelError.self) { _ = try Self.forward([0], [1, 2, 3], vocabulary: 2, hidden: 2) }
    }
}
