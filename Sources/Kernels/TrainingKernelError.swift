/// Why a training kernel (RMSNorm, embedding, causal attention, cross-entropy, AdamW) refused
/// its input. Thrown before anything is written.
public enum TrainingKernelError: Error, Equatable, CustomStringConvertible {
    /// Dimensions are negative or inconsistent, or a buffer is smaller than its shape needs
    /// (the message names the kernel and the buffer).
    case invalidShape(String)
    /// A token id at `position` is outside `0..<vocabulary`.
    case tokenOutOfRange(position: Int, token: Int, vocabulary: Int)
    /// A target class at `position` is outside `0..<classes`.
    case targetOutOfRange(position: Int, target: Int, classes: Int)
    /// A setting (an optimizer's hyper-parameter, a normalization epsilon) is non-finite or out
    /// of range (the message says which and why).
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .invalidShape(let why): return "training kernel: invalid shape: \(why)"
        case .tokenOutOfRange(let p, let t, let v):
            return "embedding: token id \(t) at position \(p) is outside 0..<\(v)"
        case .targetOutOfRange(let p, let t, let c):
            return "cross-entropy: target \(t) at position \(p) is outside 0..<\(c)"
        case .invalidConfiguration(let why): return "training kernel: invalid setting: \(why)"
        }
    }

    /// Throws `.invalidShape` unless every dimension is ≥ 0 and each buffer holds its count
    /// (`rows · columns`, overflow-checked).
    static func check(_ kernel: String, dimensions: [Int], buffers: [(name: String, count: Int, needed: (Int, Int))]) throws {
        if let bad = dimensions.first(where: { $0 < 0 }) {
            throw TrainingKernelError.invalidShape("\(kernel): negative dimension \(bad)")
        }
        for buffer in buffers {
            let (product, overflow) = buffer.needed.0.multipliedReportingOverflow(by: buffer.needed.1)
            if overflow { throw TrainingKernelError.invalidShape("\(kernel): \(buffer.name) size overflows") }
            if buffer.count < product {
                throw TrainingKernelError.invalidShape(
                    "\(kernel): \(buffer.name) holds \(buffer.count) values, needs \(product)")
            }
        }
    }
}
