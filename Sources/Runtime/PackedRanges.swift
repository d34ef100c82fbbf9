/// Copies between a flat vector and the packed concatenation of some of its ranges (a
/// parameter set as the optimizer holds it), into buffers the caller keeps from step to step.
/// The copies' unsafe pointers are fenced here.
enum PackedRanges {
    /// `ranges` of `source` one after another into `buffer`, resized to `count` values only when
    /// its size differs, and zeros after them.
    static func pack(_ source: [Float], _ ranges: [Range<Int>], into buffer: inout [Float], count: Int) {
        if buffer.count != count { buffer = [Float](repeating: 0, count: count) }
        source.withUnsafeBufferPointer { from in
            buffer.withUnsafeMutableBufferPointer { to in
                var offset = 0
                for range in ranges where offset + range.count <= to.count {
                    _ = UnsafeMutableBufferPointer(rebasing: to[offset..<(offset + range.count)])
                        .update(fromContentsOf: UnsafeBufferPointer(rebasing: from[range]))
                    offset += range.count
                }
                UnsafeMutableBufferPointer(rebasing: to[offset...]).update(repeating: 0)
            }
        }
    }

    /// The inverse of ``pack(_:_:into:count:)``: `packed`'s values back into `ranges` of
    /// `target`, as far as `packed` reaches.
    static func unpack(_ packed: ArraySlice<Float>, into target: inout [Float], _ ranges: [Range<Int>]) {
        packed.withUnsafeBufferPointer { from in
            target.withUnsafeMutableBufferPointer { to in
                var offset = 0
                for range in ranges where offset + range.count <= from.count {
                    _ = UnsafeMutableBufferPointer(rebasing: to[range])
                        .update(fromContentsOf: UnsafeBufferPointer(rebasing: from[offset..<(offset + range.count)]))
                    offset += range.count
                }
            }
        }
    }
}
