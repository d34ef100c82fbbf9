import Testing
import Kernels

@Suite struct GroupedGemmTests {
    func check(groupSizes: [Int], n: Int, k: Int, transB: Transpose, beta: Float, threads: Int, seed: UInt64) {
        var g = SplitMix64(seed: seed)
        let rows = groupSizes.reduce(0, +)
        let lda = k + 1, ldc = n + 3
        let ldb = transB == .none ? n : k
        let bGroupStride = k * n + 5
        let a = ReferenceMath.random(max(rows * lda, 1), &g)
        let b = ReferenceMath.random(max(groupSizes.count * bGroupStride, 1), &g)
        var c = ReferenceMath.random(max(rows * ldc, 1), &g)
        var expected = c
        var offset = 0
        for (e, m) in groupSizes.enumerated() where m > 0 {
            let aG = Array(a[(offset * lda)..<((offset + m) * lda)])
            let bG = Array(b[(e * bGroupStride)..<(e * bGroupStride + k * n)])
            let cG = Array(c[(offset * ldc)..<((offset + m) * ldc)])
            let r = ReferenceMath.gemm(transA: .none, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: aG, lda: lda,
                                       b: bG, ldb: ldb, beta: beta, c: cG, ldc: ldc)
            expected.replaceSubrange((offset * ldc)..<((offset + m) * ldc), with: r)
            offset += m
        }
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            groupedSgemm(groupSizes: groupSizes, n: n, k: k, alpha: 0.5, a: ap, lda: lda, transB: transB,
                         b: bp, ldb: ldb, bGroupStride: bGroupStride, beta: beta, c: cp, ldc: ldc, threads: threads)
        } } }
        let err = ReferenceMath.maxAbsDiff(c, expected)
        #expect(err <= 4e-7 * Float(k) + 1e-5, "groups=\(groupSizes) n=\(n) k=\(k) err=\(err)")
    }

    @Test("tiny, empty and uneven groups, both weight layouts, beta 0 and 1")
    func unevenGroups() {
        var seed: UInt64 = 1
        for transB in [Transpose.none, .transposed] {
            for beta in [Float(0), 1] {
                check(groupSizes: [0, 1, 0, 7, 2, 0, 13, 25, 0], n: 19, k: 23, transB: transB, beta: beta,
                      threads: 1, seed: seed)
                seed += 1
            }
        }
    }

    @Test("random group sizes, k beyond the kc block, threads")
    func randomGroups() {
        var g = SplitMix64(seed: 5)
        let sizes = (0..<12).map { _ in Int(g.next() % 40) }
        check(groupSizes: sizes, n: 37, k: 700, transB: .none, beta: 0, threads: 2, seed: 9)
        check(groupSizes: sizes, n: 50, k: 31, transB: .transposed, beta: -1, threads: 3, seed: 10)
    }

    @Test("all groups empty leaves C alone")
    func allEmpty() {
        var c: [Float] = [1, 2]
        let a: [Float] = [], b: [Float] = [0, 0, 0, 0]
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            groupedSgemm(groupSizes: [0, 0], n: 1, k: 2, a: ap, lda: 2, b: bp, ldb: 1, bGroupStride: 2, c: cp, ldc: 1)
        } } }
        #expect(c == [1, 2])
    }
}

@Suite struct GroupedGemmSeparateWeightsTests {
    @Test("separate weight buffers give the same result as one contiguous buffer")
    func separateBuffers() {
        var g = SplitMix64(seed: 77)
        let sizes = [4, 0, 19, 1, 30], n = 21, k = 40
        let rows = sizes.reduce(0, +)
        let a = ReferenceMath.random(rows * k, &g)
        let b = ReferenceMath.random(sizes.count * k * n, &g)
        let perExpert = (0..<sizes.count).map { Array(b[($0 * k * n)..<(($0 + 1) * k * n)]) }
        var c1 = [Float](repeating: 0, count: rows * n), c2 = c1
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in c1.withUnsafeMutableBufferPointer { cp in
                groupedSgemm(groupSizes: sizes, n: n, k: k, a: ap, lda: k, b: bp, ldb: n, bGroupStride: k * n, c: cp, ldc: n)
            } }
            let buffers = perExpert.map { w -> UnsafeMutableBufferPointer<Float> in
                let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: w.count)
                _ = p.initialize(from: w)
                return p
            }
            defer { buffers.forEach { $0.deallocate() } }
            c2.withUnsafeMutableBufferPointer { cp in
                groupedSgemm(groupSizes: sizes, n: n, k: k, a: ap, lda: k, weights: buffers.map { UnsafeBufferPointer($0) },
                             ldb: n, c: cp, ldc: n, threads: 2)
            }
        }
        #expect(c1 == c2)
    }
}
