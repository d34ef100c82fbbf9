/// Reproducible random matrices that any rank can generate any block of, without the rest.
///
/// Element (i, j) of matrix `stream` is a pure function of (seed, stream, i·columns + j):
/// SplitMix64 of a counter, mapped to [-1, 1). So a rank owning a block of A generates exactly
/// the values rank 0 generates for the whole of A, and the seed recorded in the results
/// reproduces every input.
public struct MatrixGenerator: Sendable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// Stream identifiers for a GEMM's operands.
    public enum Stream: UInt64, Sendable {
        case a = 1, b = 2, c = 3
    }

    /// Element `index` (row-major position in the full matrix) of `stream`.
    @inline(__always)
    public func value(stream: Stream, index: Int) -> Float {
        value(streamID: stream.rawValue, index: index)
    }

    /// Element `index` of any numbered stream (MoE layers number their weights and tokens).
    @inline(__always)
    public func value(streamID: UInt64, index: Int) -> Float {
        var z = seed &+ streamID &* 0xD1B5_4A32_D192_ED03 &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z = z ^ (z >> 31)
        // 24 random bits → [0, 1) exactly representable in Float, then [-1, 1).
        return Float(z >> 40) * 0x1p-23 - 1
    }

    /// The block `rows × cols` of a matrix with `columns` columns, row-major, contiguous.
    public func block(stream: Stream, columns: Int, rows: Range<Int>, cols: Range<Int>) -> [Float] {
        var result = [Float](repeating: 0, count: rows.count * cols.count)
        var position = 0
        for i in rows {
            let rowStart = i * columns
            for j in cols {
                result[position] = value(stream: stream, index: rowStart + j)
                position += 1
            }
        }
        return result
    }

    /// `count` values of stream `streamID`, each times `scale`.
    public func values(streamID: UInt64, count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { value(streamID: streamID, index: $0) * scale }
    }
}
