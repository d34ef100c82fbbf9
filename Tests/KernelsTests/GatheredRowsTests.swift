import Testing
import Kernels

/// A GEMM and the SwiGLU expert FFN whose input rows are gathered from wherever they lie (the
/// MoE window transport's own rows, read in place from the token matrix): bit-identical to the
/// same rows copied into one matrix, at every shape edge (partial micro-panels, k not a multiple
/// of the packing step, several row blocks and threads).
@Suite struct GatheredRowsTests {
    /// `m` rows of `k` floats scattered over one buffer in a shuffled order with gaps, and the
    /// same rows copied together.
    static func scatteredRows(m: Int, k: Int, seed: UInt64) -> (storage: [Float], offsets: [Int], packed: [Float]) {
        var g = SplitMix64(seed: seed)
        let stride = k + 5
        let storage = ReferenceMath.random(max(1, (2 * m + 1) * stride), &g)
        // Row i sits at slot (7i + 3) mod (2m + 1): every slot distinct, order shuffled.
        let slots = 2 * m + 1
        let offsets = (0..<m).map { ((7 * $0 + 3) % slots) * stride + 2 }
        let packed = offsets.flatMap { storage[$0..<($0 + k)] }
        return (storage, offsets, packed)
    }

    @Test("gathered A gives the strided product bit for bit",
          arguments: [(1, 1, 1), (5, 17, 3), (6, 16, 16), (7, 33, 31), (13, 40, 300), (97, 23, 65), (200, 48, 17),
                      // k past the kc block (512): the second k block reads each row from its column 512 on.
                      (13, 20, 1_100)])
    func gatheredGemmIsBitIdentical(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let (storage, offsets, packed) = Self.scatteredRows(m: m, k: k, seed: UInt64(m * 1_000 + k))
        var g = SplitMix64(seed: 7)
        let b = ReferenceMath.random(k * n, &g)
        for (threads, beta) in [(1, Float(0)), (2, Float(0.5))] {
            let start = ReferenceMath.random(m * n, &g)
            var expected = start, gathered = start
            packed.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { bp in
                    expected.withUnsafeMutableBufferPointer {
                        sgemm(m: m, n: n, k: k, alpha: 1.5, a: a, lda: k, b: bp, ldb: n, beta: beta, c: $0, ldc: n, threads: threads)
                    }
                }
            }
            storage.withUnsafeBufferPointer { s in
                let rows = offsets.map { s.baseAddress! + $0 }
                rows.withUnsafeBufferPointer { table in
                    b.withUnsafeBufferPointer { bp in
                        gathered.withUnsafeMutableBufferPointer {
                            sgemm(m: m, n: n, k: k, alpha: 1.5, rows: table, b: bp, ldb: n, beta: beta, c: $0, ldc: n, threads: threads)
                        }
                    }
                }
            }
            #expect(gathered == expected, "m=\(m) n=\(n) k=\(k) threads=\(threads)")
        }
    }

    @Test("SwiGLU FFN on gathered rows equals it on the copied rows, across chunk boundaries",
          arguments: [(1, nil), (13, 5), (64, 24), (100, nil)] as [(Int, Int?)])
    func gatheredSwiGLUIsBitIdentical(tokens: Int, chunkRows: Int?) {
        let hidden = 19, intermediate = 23
        let (storage, offsets, packed) = Self.scatteredRows(m: tokens, k: hidden, seed: UInt64(tokens))
        var g = SplitMix64(seed: 11)
        let w1 = ReferenceMath.random(hidden * intermediate, &g), w3 = ReferenceMath.random(hidden * intermediate, &g)
        let w2 = ReferenceMath.random(intermediate * hidden, &g)
        var expected = [Float](repeating: 0, count: tokens * hidden), gathered = expected
        w1.withUnsafeBufferPointer { a in w3.withUnsafeBufferPointer { c in w2.withUnsafeBufferPointer { d in
            packed.withUnsafeBufferPointer { x in
                expected.withUnsafeMutableBufferPointer {
                    swigluFFN(x: x, tokens: tokens, hidden: hidden, intermediate: intermediate, w1: a, w3: c, w2: d, out: $0,
                              chunkRows: chunkRows)
                }
            }
            storage.withUnsafeBufferPointer { s in
                let rows = offsets.map { s.baseAddress! + $0 }
                rows.withUnsafeBufferPointer { table in
                    gathered.withUnsafeMutableBufferPointer {
                        swigluFFN(rows: table, hidden: hidden, intermediate: intermediate, w1: a, w3: c, w2: d, out: $0,
                                  chunkRows: chunkRows)
                    }
                }
            }
        } } }
        #expect(gathered == expected)
        #expect(expected.contains { $0 != 0 })
    }
}
