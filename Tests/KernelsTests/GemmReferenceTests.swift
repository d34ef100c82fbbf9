import Testing
@testable import Kernels

/// The GEMM against a plain triple loop accumulated in Double, on random shapes including 1,
/// primes, non-multiples of any block size, every transpose and beta 0 / non-zero.
@Suite struct GemmReferenceTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) * 0x1p-23 - 1
        }
        mutating func matrix(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
    }

    func reference(_ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int,
                   b: [Float], ldb: Int, beta: Float, c: [Float], ldc: Int) -> [Float] {
        var result = c
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = ta == .none ? a[i * lda + p] : a[p * lda + i]
                    let bv = tb == .none ? b[p * ldb + j] : b[j * ldb + p]
                    sum += Double(av) * Double(bv)
                }
                result[i * ldc + j] = Float(Double(alpha) * sum + (beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])))
            }
        }
        return result
    }

    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (1, 17, 5), (13, 1, 7), (7, 11, 1), (17, 19, 23), (31, 37, 300), (64, 48, 16), (6, 16, 513)]

    @Test(arguments: [(Transpose.none, Transpose.none), (.transposed, .none), (.none, .transposed), (.transposed, .transposed)])
    func matchesReference(transposes: (Transpose, Transpose)) {
        var generator = Generator(state: 99)
        let (ta, tb) = transposes
        for (m, n, k) in Self.shapes {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1.5), (-1, 1)] {
                let (aRows, aCols) = ta == .none ? (m, k) : (k, m)
                let (bRows, bCols) = tb == .none ? (k, n) : (n, k)
                let lda = aCols + 3, ldb = bCols + 1, ldc = n + 2   // padded strides
                let a = generator.matrix(aRows * lda), b = generator.matrix(bRows * ldb)
                var c = generator.matrix(m * ldc)
                if beta == 0 { c[0] = .nan }   // beta = 0 must not read C
                let expected = reference(ta, tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        c.withUnsafeMutableBufferPointer { c in
                            sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                                  beta: beta, c: c, ldc: ldc)
                        }
                    }
                }
                var worst: Float = 0
                for i in 0..<m { for j in 0..<n { worst = max(worst, abs(c[i * ldc + j] - expected[i * ldc + j])) } }
                #expect(worst <= 1e-5 * Float(k) + 1e-6, "m\(m) n\(n) k\(k) \(ta) \(tb) alpha \(alpha) beta \(beta)")
                // Padding between rows is untouched.
                if n + 2 <= ldc, m > 0 { #expect(c[n] == c[n]) }
            }
        }
    }
}
