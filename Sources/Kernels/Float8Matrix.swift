/// A matrix stored as FP8 E4M3FN codes with fine-grained scaling, as DeepSeek-V3 trains:
/// one FP32 scale per `tileRows × tileColumns` tile, `value ≈ Float8E4M3.float(code) · scale`.
/// Activations use 1×128 tiles (per token, per 128 channels); weights use 128×128 blocks.
///
/// Each tile's scale is its absolute maximum / 448, so the largest value maps to E4M3's
/// largest finite value and an outlier only costs precision inside its own tile. An all-zero
/// tile gets scale 1. Non-finite inputs are stored as NaN codes and do not enter the tile's
/// maximum (so one NaN does not wipe out its neighbours).
public struct Float8Matrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var tileRows: Int
    public var tileColumns: Int
    /// `rows × columns` row-major E4M3FN codes.
    public var codes: [UInt8]
    /// `⌈rows / tileRows⌉ × ⌈columns / tileColumns⌉` row-major tile scales.
    public var scales: [Float]

    /// Tiles per row of tiles.
    public var tilesPerRow: Int { (columns + tileColumns - 1) / tileColumns }

    /// Quantizes a row-major `rows × columns` matrix (row stride `ld`, default `columns`).
    public init(quantizing values: UnsafeBufferPointer<Float>, rows: Int, columns: Int, ld: Int? = nil,
                tileRows: Int, tileColumns: Int) {
        let ld = ld ?? columns
        precondition(rows >= 0 && columns >= 0 && tileRows >= 1 && tileColumns >= 1 && ld >= columns)
        precondition(rows == 0 || values.count >= (rows - 1) * ld + columns, "Float8Matrix: buffer too small")
        self.rows = rows; self.columns = columns; self.tileRows = tileRows; self.tileColumns = tileColumns
        let tileRowCount = (rows + tileRows - 1) / tileRows
        let tpr = (columns + tileColumns - 1) / tileColumns
        var codes = [UInt8](repeating: 0, count: rows * columns)
        var scales = [Float](repeating: 1, count: tileRowCount * tpr)
        let input = values.baseAddress
        codes.withUnsafeMutableBufferPointer { codeBuffer in
            scales.withUnsafeMutableBufferPointer { scaleBuffer in
                guard let input, let out = codeBuffer.baseAddress else { return }
                for ti in 0..<tileRowCount {
                    let r0 = ti * tileRows, r1 = min(rows, r0 + tileRows)
                    for tj in 0..<tpr {
                        let c0 = tj * tileColumns, c1 = min(columns, c0 + tileColumns)
                        var amax: Float = 0
                        for r in r0..<r1 {
                            let row = input + r * ld
                            for c in c0..<c1 { let v = row[c]; if v.isFinite { amax = max(amax, abs(v)) } }
                        }
                        let scale = amax > 0 ? amax / Float8E4M3.maxFinite : 1
                        scaleBuffer[ti * tpr + tj] = scale
                        let inverse = 1 / scale
                        for r in r0..<r1 {
                            let row = input + r * ld, dst = out + r * columns
                            for c in c0..<c1 { dst[c] = Float8E4M3.code(from: row[c] * inverse) }
                        }
                    }
                }
            }
        }
        self.codes = codes
        self.scales = scales
    }

    /// Per-token 1×128 tiles (DeepSeek-V3's activation scaling).
    public static func activations(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int) -> Float8Matrix {
        Float8Matrix(quantizing: values, rows: rows, columns: columns, tileRows: 1, tileColumns: 128)
    }

    /// 128×128 blocks (DeepSeek-V3's weight scaling).
    public static func weights(_ values: UnsafeBufferPointer<Float>, rows: Int, columns: Int) -> Float8Matrix {
        Float8Matrix(quantizing: values, rows: rows, columns: columns, tileRows: 128, tileColumns: 128)
    }

    /// Writes `code · scale` for rows `rowRange` into `destination` (row stride `columns`,
    /// starting with the first row of the range).
    public func dequantize(rows rowRange: Range<Int>, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(destination.count >= rowRange.count * columns, "Float8Matrix.dequantize: destination too small")
        let tpr = tilesPerRow, columns = columns, tileColumns = tileColumns, tileRows = tileRows
        codes.withUnsafeBufferPointer { codes in
            scales.withUnsafeBufferPointer { scales in
                for r in rowRange {
                    let scaleRow = scales.baseAddress! + (r / tileRows) * tpr
                    let src = codes.baseAddress! + r * columns
                    let out = destination.baseAddress! + (r - rowRange.lowerBound) * columns
                    var c0 = 0, tile = 0
                    while c0 < columns {
                        let scale = scaleRow[tile], c1 = min(columns, c0 + tileColumns)
                        for c in c0..<c1 { out[c] = Float8E4M3.float(fromCode: src[c]) * scale }
                        c0 = c1; tile += 1
                    }
                }
            }
        }
    }

    /// The whole matrix back in FP32.
    public func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        out.withUnsafeMutableBufferPointer { dequantize(rows: 0..<rows, into: $0) }
        return out
    }
}
