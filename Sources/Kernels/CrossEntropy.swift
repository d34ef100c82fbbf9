#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Softmax cross-entropy of `logits` against integer `targets`, averaged over tokens:
/// `loss = (1/tokens) · Σ_t (logsumexp(logits[t]) − logits[t, targets[t]])`, each row
/// stabilized by subtracting its maximum; the sum is in Double. Returns 0 for 0 tokens.
///
/// When `dLogits` is given it is overwritten with the gradient of that mean loss:
/// `(softmax(logits[t]) − onehot(targets[t])) / tokens`.
///
/// Shapes (row-major, dense): `logits` and `dLogits` tokens×vocabulary, `targets` tokens.
///
/// - Throws: `TrainingKernelError.targetOutOfRange` for the first target outside
///   `0..<vocabulary` (checked before anything is written), `.invalidShape` for a negative
///   dimension, a vocabulary of 0 with tokens, or a buffer too small.
public func softmaxCrossEntropy(logits: UnsafeBufferPointer<Float>, targets: UnsafeBufferPointer<Int32>,
                                tokens: Int, vocabulary: Int,
                                dLogits: UnsafeMutableBufferPointer<Float>?) throws -> Double {
    try TrainingKernelError.check("softmaxCrossEntropy", dimensions: [tokens, vocabulary], buffers: [
        ("logits", logits.count, (tokens, vocabulary)), ("targets", targets.count, (tokens, 1)),
        ("dLogits", dLogits?.count ?? Int.max, (tokens, vocabulary)),
    ])
    if tokens == 0 { return 0 }
    if vocabulary == 0 { throw TrainingKernelError.invalidShape("softmaxCrossEntropy: vocabulary of 0") }
    for t in 0..<tokens where targets[t] < 0 || Int(targets[t]) >= vocabulary {
        throw TrainingKernelError.targetOutOfRange(position: t, target: Int(targets[t]), classes: vocabulary)
    }
    var total = 0.0
    let scale = 1 / Float(tokens)
    for t in 0..<tokens {
        let base = t * vocabulary
        var rowMax = -Float.infinity
        for j in 0..<vocabulary { rowMax = max(rowMax, logits[base + j]) }
        var sum: Float = 0
        for j in 0..<vocabulary { sum += expf(logits[base + j] - rowMax) }
        let target = Int(targets[t])
        total += Double(logf(sum)) + Double(rowMax) - Double(logits[base + target])
        guard let dLogits else { continue }
        let inverse = scale / sum
        for j in 0..<vocabulary { dLogits[base + j] = expf(logits[base + j] - rowMax) * inverse }
        dLogits[base + target] -= scale
    }
    return total / Double(tokens)
}
