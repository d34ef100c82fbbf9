import MPIKit

/// What a step's other work does to a core's caches between two uses of the same data, done
/// before each timed repetition of a calibration: one write per 64-byte line of a buffer larger
/// than the core's L2, so the measured operands come from where a run finds them.
struct CacheScrub {
    /// 16 MiB: larger than the core's L2 (2 MiB on this VM's cores; 1–2 MiB on current server cores).
    static let defaultBytes = 16 << 20
    private var buffer: [Float]

    init(bytes: Int = CacheScrub.defaultBytes) {
        buffer = [Float](repeating: 0, count: max(16, bytes / MemoryLayout<Float>.size))
    }

    /// Writes one float per cache line of the buffer.
    mutating func run() {
        for index in stride(from: 0, to: buffer.count, by: 16) { buffer[index] += 1 }
    }

    /// Writes one float per cache line of `data`, as the op that produces it would (the runtime
    /// packs a collective's send buffer just before the call).
    static func rewrite<Element: MPIScalar & FloatingPoint>(_ data: CommBuffer<Element>) {
        data.withUnsafeMutableBufferPointer { values in
            // `+= 0`, not `* 1`: x + 0 is not x for −0, so the compiler keeps the store.
            for index in stride(from: 0, to: values.count, by: 16) { values[index] += 0 }
        }
    }
}
