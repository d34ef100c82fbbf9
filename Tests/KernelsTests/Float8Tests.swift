import Testing
import Kernels

@Suite struct Float8Tests {
    @Test("E4M3FN edge values round-trip: 448, min normal, subnormals, zero")
    func edges() {
        let cases: [(Float, UInt8)] = [(448, 0x7E), (-448, 0xFE), (0x1p-6, 0x08), (0x1p-9, 0x01), (7 * 0x1p-9, 0x07),
                                       (0, 0x00), (1, 0x38), (1.125, 0x39), (240, 0x77), (256, 0x78)]
        for (v, code) in cases {
            #expect(Float8E4M3.code(from: v) == code, "\(v)")
            #expect(Float8E4M3.float(fromCode: code) == v)
        }
        #expect(Float8E4M3.code(from: -0.0) == 0x80)
        #expect(Float8E4M3.float(fromCode: 0x80).sign == .minus)
    }

    @Test("NaN codes, saturation and non-finite inputs")
    func nanAndSaturation() {
        #expect(Float8E4M3.float(fromCode: 0x7F).isNaN)
        #expect(Float8E4M3.float(fromCode: 0xFF).isNaN)
        #expect(Float8E4M3.code(from: .nan) == 0x7F)
        #expect(Float8E4M3.code(from: .infinity) == 0x7F)
        #expect(Float8E4M3.code(from: -.infinity) == 0xFF)
        #expect(Float8E4M3.code(from: 464) == 0x7E)     // tie between 448 and (NaN slot) 480 → 448
        #expect(Float8E4M3.code(from: 1e6) == 0x7E)
        #expect(Float8E4M3.code(from: -1e6) == 0xFE)
        // Every non-NaN code decodes to a value that encodes back to itself.
        for c in 0..<256 where c & 0x7F != 0x7F {
            #expect(Float8E4M3.code(from: Float8E4M3.float(fromCode: UInt8(c))) == UInt8(c))
        }
    }

    @Test("round to nearest even, in the normal and subnormal ranges")
    func rounding() {
        #expect(Float8E4M3.code(from: 1.0625) == 0x38)   // halfway 1 and 1.125 → even (1)
        #expect(Float8E4M3.code(from: 1.1875) == 0x3A)   // halfway 1.125 and 1.25 → even (1.25)
        #expect(Float8E4M3.code(from: 0.5 * 0x1p-9) == 0x00)   // halfway 0 and 2⁻⁹ → 0
        #expect(Float8E4M3.code(from: 1.5 * 0x1p-9) == 0x02)   // halfway 1 and 2 units → 2
        #expect(Float8E4M3.code(from: 7.5 * 0x1p-9) == 0x08)   // rounds up into the smallest normal
        #expect(Float8E4M3.code(from: 0.7 * 0x1p-9) == 0x01)
    }

    @Test("fine-grained quantization: per-tile scales, bounded error, NaN kept local")
    func quantization() {
        var g = SplitMix64(seed: 3)
        let rows = 130, cols = 260
        var x = (0..<(rows * cols)).map { _ in g.nextSignedUnit() }
        x[5] = 1000  // an outlier only affects its own tile
        let act = x.withUnsafeBufferPointer { Float8Matrix.activations($0, rows: rows, columns: cols) }
        #expect(act.scales.count == rows * 3)
        #expect(act.scales[0] == Float(1000) / 448)
        let w = x.withUnsafeBufferPointer { Float8Matrix.weights($0, rows: rows, columns: cols) }
        #expect(w.scales.count == 2 * 3)
        for q in [act, w] {
            let back = q.dequantized()
            for r in 0..<rows {
                for c in 0..<cols {
                    let scale = q.scales[(r / q.tileRows) * q.tilesPerRow + c / q.tileColumns]
                    // Relative step of E4M3 is 2⁻³ (half of it after rounding); subnormal step is 2⁻⁹·scale.
                    let bound = max(abs(x[r * cols + c]) * 0.0625, 0x1p-10 * scale)
                    #expect(abs(back[r * cols + c] - x[r * cols + c]) <= bound * 1.0001)
                }
            }
        }
        var y: [Float] = [1, .nan, 2, .infinity]
        let q = y.withUnsafeBufferPointer { Float8Matrix.activations($0, rows: 1, columns: 4) }
        #expect(q.scales == [Float(2) / 448])
        let back = q.dequantized()
        #expect(back[0] == 1 && back[1].isNaN && back[2] == 2 && back[3].isNaN)
        y = [0, 0]
        #expect(y.withUnsafeBufferPointer { Float8Matrix.activations($0, rows: 1, columns: 2) }.scales == [1])
    }

    @Test("FP8 and BF16 GEMMs with FP32 accumulation: exact on dequantized inputs, small error vs FP32")
    func gemm() {
        var g = SplitMix64(seed: 4)
        let m = 37, n = 29, k = 300
        let a = ReferenceMath.random(m * k, &g), b = ReferenceMath.random(k * n, &g)
        let qa = a.withUnsafeBufferPointer { Float8Matrix.activations($0, rows: m, columns: k) }
        let qb = b.withUnsafeBufferPointer { Float8Matrix.weights($0, rows: k, columns: n) }
        var c = [Float](repeating: 0, count: m * n)
        c.withUnsafeMutableBufferPointer { float8Gemm(a: qa, b: qb, c: $0, ldc: n, chunkRows: 10) }
        let onQuantized = ReferenceMath.gemm(transA: .none, transB: .none, m: m, n: n, k: k, alpha: 1,
                                             a: qa.dequantized(), lda: k, b: qb.dequantized(), ldb: n, beta: 0, c: c, ldc: n)
        #expect(ReferenceMath.maxAbsDiff(c, onQuantized) <= 1e-4)
        let exact = ReferenceMath.gemm(transA: .none, transB: .none, m: m, n: n, k: k, alpha: 1,
                                       a: a, lda: k, b: b, ldb: n, beta: 0, c: c, ldc: n)
        let fp8Error = c.withUnsafeBufferPointer { cp in exact.withUnsafeBufferPointer { relativeFrobeniusError(cp, reference: $0) } }
        #expect(fp8Error > 0 && fp8Error < 0.05)

        let ab = BFloat16.encode(a), bb = BFloat16.encode(b)
        ab.withUnsafeBufferPointer { ap in bb.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            bfloat16Gemm(m: m, n: n, k: k, a: ap, b: bp, c: cp, ldc: n)
        } } }
        let bf16Error = c.withUnsafeBufferPointer { cp in exact.withUnsafeBufferPointer { relativeFrobeniusError(cp, reference: $0) } }
        #expect(bf16Error > 0 && bf16Error < 0.01 && bf16Error < fp8Error)
        let z: [Float] = [0, 0]
        #expect(z.withUnsafeBufferPointer { relativeFrobeniusError($0, reference: $0) } == 0)
    }
}
