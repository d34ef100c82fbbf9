/// FP8 E4M3 as the OCP 8-bit floating point spec defines "E4M3FN": 1 sign, 4 exponent (bias 7)
/// and 3 mantissa bits; no infinities; NaN is `S.1111.111` (0x7F, 0xFF); the largest finite
/// value is 448 (`0.1111.110`, 0x7E); subnormals are `m · 2⁻⁹` (smallest 2⁻⁹ ≈ 0.00195).
///
/// Conversion from Float rounds to nearest, ties to even, and **saturates**: finite values
/// beyond ±448 become ±448 (the usual choice for scaled training data, where the scale already
/// maps the tile's absolute maximum to 448). ±infinity and NaN become NaN (0x7F, or 0xFF with
/// the sign bit). Signed zero is kept. Decoding is exact (a 256-entry table).
public enum Float8E4M3 {
    /// Largest finite magnitude.
    public static let maxFinite: Float = 448
    /// The canonical NaN code (0x7F; 0xFF with the sign bit).
    public static let nanCode: UInt8 = 0x7F

    /// The E4M3FN code nearest to `value` (ties to even, saturating at ±448, NaN for non-finite).
    public static func code(from value: Float) -> UInt8 {
        let sign: UInt8 = value.sign == .minus ? 0x80 : 0
        if !value.isFinite { return sign | nanCode }
        let magnitude = abs(value)
        if magnitude >= 0.015625 {  // 2⁻⁶: normal range
            let bits = magnitude.bitPattern
            // Round the 23-bit mantissa to 3 bits, ties to even.
            let rounded = bits &+ 0x7FFFF &+ ((bits >> 20) & 1)
            let exponent = Int(rounded >> 23) - 127 + 7
            let mantissa = UInt8((rounded >> 20) & 7)
            if exponent > 15 || (exponent == 15 && mantissa == 7) { return sign | 0x7E }
            return sign | UInt8(exponent << 3) | mantissa
        }
        // Subnormal range: units of 2⁻⁹, rounded to nearest even (8 units is the smallest normal).
        let units = (magnitude * 512).rounded(.toNearestOrEven)
        return sign | UInt8(units)
    }

    /// The Float an E4M3FN code stands for (exact; NaN for 0x7F / 0xFF).
    @inline(__always)
    public static func float(fromCode code: UInt8) -> Float { table.values[Int(code)] }

    /// The 256 decoded values, in memory that lives for the whole process (no array
    /// bounds or uniqueness checks in the decode loops).
    private static let table = DecodeTable()

    private final class DecodeTable: @unchecked Sendable {
        let values: UnsafeMutablePointer<Float>
        init() {
            values = .allocate(capacity: 256)
            for c in 0..<256 { values[c] = Float8E4M3.decodeSlow(UInt8(c)) }
        }
    }

    private static func decodeSlow(_ code: UInt8) -> Float {
        let sign: Float = code & 0x80 != 0 ? -1 : 1
        let exponent = Int((code >> 3) & 0xF), mantissa = Int(code & 7)
        if exponent == 15 && mantissa == 7 { return .nan }
        if exponent == 0 { return sign * Float(mantissa) * 0x1p-9 }
        return sign * (1 + Float(mantissa) / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }
}
