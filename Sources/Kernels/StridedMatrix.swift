/// A read-only view of a row-major matrix, possibly transposed: element `(i, j)` of the
/// logical matrix is `base[i · rowStride + j · columnStride]`. A transposed operand is the
/// stored array with the two strides swapped, so packing handles `op(X)` uniformly.
///
/// Or row-gathered (an A operand only): element `(i, j)` is `rowTable[i][tableColumn + j]`, each
/// row's columns contiguous wherever the row lies — an expert's rows, some received in a shared
/// window and the rank's own read in place from its token matrix. Packing reads the same values
/// either way, so the product is bit-identical to that of the rows copied together.
struct StridedMatrix: @unchecked Sendable {
    var base: UnsafePointer<Float>
    var rowStride: Int
    var columnStride: Int
    /// Row-gathered: the first float of every logical row (before ``tableColumn``); nil when strided.
    var rowTable: UnsafePointer<UnsafePointer<Float>>?
    var tableColumn = 0

    /// `op(X)` for a row-major array `x` with leading dimension `ld`.
    init(_ x: UnsafePointer<Float>, ld: Int, transpose: Transpose) {
        base = x
        if transpose == .none { rowStride = ld; columnStride = 1 } else { rowStride = 1; columnStride = ld }
    }

    init(base: UnsafePointer<Float>, rowStride: Int, columnStride: Int) {
        self.base = base; self.rowStride = rowStride; self.columnStride = columnStride
    }

    /// The row-gathered matrix whose row `i` starts at `rows[i]` (at least one row). Only packing
    /// A reads it (``GemmPackBuffers/packAPanel(_:row:rows:kc:prefetchRows:)``); `base` is just the
    /// first row, and `rowStride` 0 — never a stand-in for the rows.
    init(rows: UnsafePointer<UnsafePointer<Float>>) {
        base = rows[0]; rowStride = 0; columnStride = 1
        rowTable = rows
    }

    /// The sub-matrix starting at logical `(row, column)`.
    @inline(__always)
    func offset(row: Int, column: Int) -> StridedMatrix {
        if let rowTable {
            var sub = self
            sub.rowTable = rowTable + row
            sub.tableColumn = tableColumn + column
            return sub
        }
        return StridedMatrix(base: base + row * rowStride + column * columnStride,
                             rowStride: rowStride, columnStride: columnStride)
    }
}
