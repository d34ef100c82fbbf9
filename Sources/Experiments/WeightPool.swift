import Kernels

/// Weights as a training step finds them: the B matrices of a calibration's GEMMs taken in turn
/// from one buffer as large as the rank's weights, rewritten before each shape is timed, so that
/// each B was last touched a model's worth of bytes earlier — between two uses of one weight
/// matrix a step reads all the others (and the optimizer last wrote them all). Measured on this
/// VM: a real step's 256³ GEMMs ran at 67.5 GFLOP/s; one B per shape calibrated 75.5, this pool
/// 67–69, the same pool walked without rewriting it per shape 64.
struct WeightPool {
    private var buffer: [Float]
    private var offset = 0

    /// A pool of `bytes` (whole floats, at most ``Calibrator/maxWeightPool``), filled with values.
    init(bytes: Int) {
        let count = max(0, min(bytes, Calibrator.maxWeightPool) / MemoryLayout<Float>.size)
        buffer = (0..<count).map { Float($0 % 89) / 89 - 0.5 }
    }

    /// Writes every cache line of the pool (first to last) and starts the next matrices at its
    /// start, which was written longest ago.
    mutating func refresh() {
        offset = 0
        buffer.withUnsafeMutableBufferPointer { values in
            for index in stride(from: 0, to: values.count, by: 16) { values[index] += 0 }
        }
    }

    /// Whether the pool holds a matrix of `count` floats.
    func holds(_ count: Int) -> Bool { count > 0 && count <= buffer.count }

    /// `body` on the next `count` floats of the pool (from its start again when fewer remain).
    mutating func next<R>(_ count: Int, _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        precondition(holds(count), "WeightPool.next: \(count) floats of a pool of \(buffer.count)")
        if offset + count > buffer.count { offset = 0 }
        defer { offset += count }
        return buffer.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offset..<(offset + count)])) }
    }
}
