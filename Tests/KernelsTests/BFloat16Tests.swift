import Testing
import Kernels

@Suite struct BFloat16Tests {
    @Test("exact values round-trip")
    func exact() {
        for v: Float in [0, 1, -1, 2, 0.5, 3.140625, -65280, .infinity, -.infinity, .leastNormalMagnitude] {
            #expect(BFloat16.float(fromBits: BFloat16.bits(from: v)) == v)
        }
        #expect(BFloat16.bits(from: -0.0) == 0x8000)
        #expect(BFloat16.bits(from: 1) == 0x3F80)
    }

    @Test("round to nearest, ties to even")
    func rounding() {
        // 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷: tie goes to the even mantissa (1).
        #expect(BFloat16.bits(from: Float(bitPattern: 0x3F80_8000)) == 0x3F80)
        // 1 + 3·2⁻⁸ is halfway between 1 + 2⁻⁷ (odd) and 1 + 2⁻⁶: goes up to even.
        #expect(BFloat16.bits(from: Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        // Just above / below halfway.
        #expect(BFloat16.bits(from: Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(BFloat16.bits(from: Float(bitPattern: 0x3F80_7FFF)) == 0x3F80)
        // Largest finite Float rounds to infinity; largest bfloat16 stays.
        #expect(BFloat16.bits(from: .greatestFiniteMagnitude) == 0x7F80)
        #expect(BFloat16.bits(from: Float(bitPattern: 0x7F7F_0000)) == 0x7F7F)
        // Subnormals round like everything else.
        #expect(BFloat16.bits(from: Float(bitPattern: 0x0000_8000)) == 0x0000)
        #expect(BFloat16.bits(from: Float(bitPattern: 0x0001_8000)) == 0x0002)
    }

    @Test("NaN stays NaN, including payloads only in the low bits")
    func nan() {
        #expect(BFloat16.float(fromBits: BFloat16.bits(from: .nan)).isNaN)
        #expect(BFloat16.float(fromBits: BFloat16.bits(from: Float(bitPattern: 0x7F80_0001))).isNaN)
        #expect(BFloat16.float(fromBits: BFloat16.bits(from: Float(bitPattern: 0xFFFF_FFFF))).isNaN)
    }

    @Test("random values: relative error ≤ 2⁻⁸ and buffers agree with scalars")
    func random() {
        var g = SplitMix64(seed: 1)
        let values = (0..<1000).map { _ in g.nextSignedUnit() * 1000 }
        let bits = BFloat16.encode(values)
        for (v, b) in zip(values, bits) where v != 0 {
            #expect(abs(BFloat16.float(fromBits: b) - v) <= abs(v) * 0x1p-8)
        }
        #expect(BFloat16.decode(bits) == bits.map(BFloat16.float(fromBits:)))
    }
}
