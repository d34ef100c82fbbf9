import Testing
import Kernels

@Suite struct GemmTests {
    /// Runs `sgemm` and the reference on one random case with padded strides.
    func check(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
               threads: Int = 1, seed: UInt64) {
        var g = SplitMix64(seed: seed)
        let (aRows, aCols) = transA == .none ? (m, k) : (k, m)
        let (bRows, bCols) = transB == .none ? (k, n) : (n, k)
        let lda = aCols + 3, ldb = bCols + 1, ldc = n + 2
        let a = ReferenceMath.random(max(aRows * lda, 1), &g)
        let b = ReferenceMath.random(max(bRows * ldb, 1), &g)
        var c = ReferenceMath.random(max(m * ldc, 1), &g)
        let expected = ReferenceMath.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                          a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: ap, lda: lda,
                          b: bp, ldb: ldb, beta: beta, c: cp, ldc: ldc, threads: threads)
                }
            }
        }
        let tolerance = Float(4e-7) * Float(k) * max(1, abs(alpha)) + 1e-5
        let err = ReferenceMath.maxAbsDiff(c, expected)
        #expect(err <= tolerance, "m=\(m) n=\(n) k=\(k) \(transA)/\(transB) alpha=\(alpha) beta=\(beta) err=\(err)")
        // Padding between rows of C is never written.
        for i in 0..<m { for j in n..<ldc { #expect(c[i * ldc + j] == expected[i * ldc + j]) } }
    }

    static let transposes: [(Transpose, Transpose)] = [(.none, .none), (.none, .transposed),
                                                        (.transposed, .none), (.transposed, .transposed)]

    @Test("small and prime shapes, every transpose, beta 0 and non-zero",
          arguments: [(1, 1, 1), (1, 17, 5), (7, 1, 3), (6, 16, 8), (13, 31, 29), (37, 41, 43), (5, 97, 2)])
    func smallShapes(shape: (Int, Int, Int)) {
        var seed: UInt64 = 1
        for (ta, tb) in Self.transposes {
            for (alpha, beta) in [(Float(1), Float(0)), (-0.5, 1.5), (2, 1)] {
                check(ta, tb, m: shape.0, n: shape.1, k: shape.2, alpha: alpha, beta: beta, seed: seed)
                seed += 1
            }
        }
    }

    @Test("random shapes including non-multiples of the 6×16 tile")
    func randomShapes() {
        var g = SplitMix64(seed: 7)
        for i in 0..<24 {
            let m = Int(g.next() % 70) + 1, n = Int(g.next() % 70) + 1, k = Int(g.next() % 90) + 1
            let (ta, tb) = Self.transposes[i % 4]
            check(ta, tb, m: m, n: n, k: k, alpha: 1.25, beta: i % 2 == 0 ? 0 : -1, seed: UInt64(100 + i))
        }
    }

    @Test("k much larger than the kc block, and m, n across mc/nc edges")
    func largeK() {
        for (ta, tb) in Self.transposes {
            check(ta, tb, m: 9, n: 21, k: 1000, alpha: 1, beta: 0.5, seed: 11)
        }
        check(.none, .none, m: 250, n: 35, k: 400, alpha: 1, beta: 0, seed: 12)
        check(.none, .transposed, m: 19, n: 2070, k: 20, alpha: 1, beta: 1, seed: 13)
        // Three uneven A blocks × three kc blocks, every transpose.
        for (i, (ta, tb)) in Self.transposes.enumerated() {
            check(ta, tb, m: 401, n: 37, k: 1100, alpha: -1, beta: i % 2 == 0 ? 0 : 2, seed: 14 + UInt64(i))
        }
    }

    @Test("few-row products read B in place (m ≤ 18) and match")
    func fewRows() {
        for m in [1, 2, 6, 12, 18, 19] {
            check(.none, .none, m: m, n: 53, k: 70, alpha: 1, beta: 0.25, seed: UInt64(m))
        }
    }

    @Test("threads give the same result as one thread")
    func threads() {
        check(.none, .none, m: 40, n: 100, k: 33, alpha: 1, beta: 1, threads: 3, seed: 21)
        check(.transposed, .none, m: 100, n: 20, k: 33, alpha: 1, beta: 0, threads: 2, seed: 22)
    }

    @Test("beta == 0 overwrites C without reading NaN; k == 0 and alpha == 0 scale C")
    func betaZeroAndDegenerate() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [1, 0, 0, 1]
        var c = [Float](repeating: .nan, count: 4)
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            sgemm(m: 2, n: 2, k: 2, a: ap, lda: 2, b: bp, ldb: 2, beta: 0, c: cp, ldc: 2)
        } } }
        #expect(c == [1, 2, 3, 4])
        c = [1, 2, 3, .nan]
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            sgemm(m: 2, n: 2, k: 0, a: ap, lda: 1, b: bp, ldb: 2, beta: 2, c: cp, ldc: 2)
        } } }
        #expect(c[0] == 2 && c[1] == 4 && c[2] == 6 && c[3].isNaN)
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            sgemm(m: 2, n: 2, k: 2, alpha: 0, a: ap, lda: 2, b: bp, ldb: 2, beta: 0, c: cp, ldc: 2)
        } } }
        #expect(c == [0, 0, 0, 0])
    }
}
