/// A batch of token sequences and their next-token targets, sequence-major (sequence 0's
/// tokens first), as the kernels lay out token rows.
public struct TrainingBatch: Sendable, Equatable {
    /// Sequences in the batch.
    public let sequences: Int
    /// Tokens per sequence.
    public let sequenceLength: Int
    /// `sequences × sequenceLength` input token ids.
    public let inputs: [Int32]
    /// `sequences × sequenceLength` targets: the token that follows each input.
    public let targets: [Int32]

    /// Checks that `inputs` and `targets` hold `sequences · sequenceLength` ids each.
    public init(sequences: Int, sequenceLength: Int, inputs: [Int32], targets: [Int32]) throws {
        guard sequences >= 1, sequenceLength >= 1 else {
            throw TrainingError.invalidBatch("sequences and sequenceLength must be ≥ 1, found \(sequences) and \(sequenceLength)")
        }
        guard inputs.count == sequences * sequenceLength, targets.count == inputs.count else {
            throw TrainingError.invalidBatch("\(sequences) × \(sequenceLength) tokens need as many inputs and targets, "
                                             + "found \(inputs.count) and \(targets.count)")
        }
        self.init(checked: sequences, sequenceLength: sequenceLength, inputs: inputs, targets: targets)
    }

    /// For callers whose sizes agree by construction.
    init(checked sequences: Int, sequenceLength: Int, inputs: [Int32], targets: [Int32]) {
        self.sequences = sequences
        self.sequenceLength = sequenceLength
        self.inputs = inputs
        self.targets = targets
    }

    /// Tokens in the batch.
    public var tokens: Int { sequences * sequenceLength }

    /// Micro-batch `index` of `count`: equal, contiguous runs of whole sequences.
    /// Throws unless `count` divides ``sequences``.
    public func microBatch(_ index: Int, of count: Int) throws -> TrainingBatch {
        guard count >= 1, sequences % count == 0, (0..<count).contains(index) else {
            throw TrainingError.invalidBatch("\(count) micro-batches must divide \(sequences) sequences (index \(index))")
        }
        let per = sequences / count, range = (index * per * sequenceLength)..<((index + 1) * per * sequenceLength)
        return TrainingBatch(checked: per, sequenceLength: sequenceLength,
                                 inputs: Array(inputs[range]), targets: Array(targets[range]))
    }
}
