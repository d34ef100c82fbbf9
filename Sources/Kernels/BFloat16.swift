/// bfloat16 storage: the top 16 bits of an IEEE-754 binary32, kept as `UInt16` bit patterns
/// (8-bit exponent like Float, 7 stored mantissa bits).
///
/// Conversion from Float rounds to nearest, ties to even; values past the largest bfloat16
/// (≈ 3.3895e38) round to ±infinity as IEEE rounding does; NaN stays NaN (the quiet bit is set,
/// so a NaN whose payload lives only in the dropped low bits does not become infinity); the
/// sign of zero is kept. Conversion to Float is exact.
public enum BFloat16 {
    /// The bfloat16 bit pattern nearest to `value` (ties to even).
    @inline(__always)
    public static func bits(from value: Float) -> UInt16 {
        let b = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: b >> 16) | 0x0040 }
        let roundingBias: UInt32 = 0x7FFF + ((b >> 16) & 1)
        return UInt16(truncatingIfNeeded: (b &+ roundingBias) >> 16)
    }

    /// The Float a bfloat16 bit pattern stands for (exact).
    @inline(__always)
    public static func float(fromBits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Rounds every value of `source` into `destination` (same count).
    public static func encode(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt16>) {
        precondition(destination.count >= source.count, "BFloat16.encode: destination too small")
        for i in source.indices { destination[i] = bits(from: source[i]) }
    }

    /// Widens every bit pattern of `source` into `destination` (same count).
    public static func decode(_ source: UnsafeBufferPointer<UInt16>, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(destination.count >= source.count, "BFloat16.decode: destination too small")
        for i in source.indices { destination[i] = float(fromBits: source[i]) }
    }

    /// `values` rounded to bfloat16.
    public static func encode(_ values: [Float]) -> [UInt16] { values.map(bits(from:)) }

    /// `bits` widened to Float.
    public static func decode(_ bits: [UInt16]) -> [Float] { bits.map(float(fromBits:)) }
}
