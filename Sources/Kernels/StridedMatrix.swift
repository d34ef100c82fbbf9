/// A read-only view of a row-major matrix, possibly transposed: element `(i, j)` of the
/// logical matrix is `base[i · rowStride + j · columnStride]`. A transposed operand is the
/// stored array with the two strides swapped, so packing handles `op(X)` uniformly.
struct StridedMatrix: @unchecked Sendable {
    var base: UnsafePointer<Float>
    var rowStride: Int
    var columnStride: Int

    /// `op(X)` for a row-major array `x` with leading dimension `ld`.
    init(_ x: UnsafePointer<Float>, ld: Int, transpose: Transpose) {
        base = x
        if transpose == .none { rowStride = ld; columnStride = 1 } else { rowStride = 1; columnStride = ld }
    }

    init(base: UnsafePointer<Float>, rowStride: Int, columnStride: Int) {
        self.base = base; self.rowStride = rowStride; self.columnStride = columnStride
    }

    /// The sub-matrix starting at logical `(row, column)`.
    @inline(__always)
    func offset(row: Int, column: Int) -> StridedMatrix {
        StridedMatrix(base: base + row * rowStride + column * columnStride,
                      rowStride: rowStride, columnStride: columnStride)
    }
}
