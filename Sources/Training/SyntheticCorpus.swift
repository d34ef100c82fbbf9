import Kernels

/// Token sequences with a learnable pattern, generated from a seed.
///
/// There are `rules` affine rules; rule `r` maps a token `t` to `(a_r · t + b_r) mod vocabulary`
/// with `a_r = 2r + 1` and `b_r = 7r + 3` (reduced mod `vocabulary`). Sequence `i` of step `s`
/// draws, from ``SplitMix64`` seeded with `seed ^ (s · 0x9E3779B97F4A7C15) ^ (i · 0xD1B54A32D192ED03)`
/// (first the rule, then the start token), a rule `r = next() mod rules` and a start token
/// `t₀ = next() mod vocabulary`, then follows `t_{j+1} = rule_r(t_j)`. Inputs are `t₀ … t_{L−1}`,
/// targets `t₁ … t_L`. A model that reads two consecutive tokens can tell the rule (for the
/// default small rule set), so the loss can fall far below `ln(vocabulary)`; from one token
/// alone it cannot beat `ln(rules)`.
public struct SyntheticCorpus: Sendable, Equatable {
    public let vocabulary: Int
    public let sequenceLength: Int
    /// Sequences per batch.
    public let sequences: Int
    public let rules: Int
    public let seed: UInt64

    /// Throws unless `vocabulary ≥ 2` fits Int32 and the other counts are ≥ 1.
    public init(vocabulary: Int, sequenceLength: Int, sequences: Int, rules: Int = 4, seed: UInt64) throws {
        guard vocabulary >= 2, vocabulary <= Int(Int32.max), sequenceLength >= 1, sequences >= 1, rules >= 1 else {
            throw TrainingError.invalidBatch("corpus needs vocabulary in 2...\(Int32.max) and sequenceLength, sequences, "
                                             + "rules ≥ 1; found \(vocabulary), \(sequenceLength), \(sequences), \(rules)")
        }
        self.vocabulary = vocabulary
        self.sequenceLength = sequenceLength
        self.sequences = sequences
        self.rules = rules
        self.seed = seed
    }

    /// Rule `r`'s next token after `token`.
    public func next(after token: Int, rule r: Int) -> Int {
        let a = (2 * r + 1) % vocabulary, b = (7 * r + 3) % vocabulary
        return (a * token + b) % vocabulary
    }

    /// The batch of step `step` (any step ≥ 0; the same step always gives the same batch).
    public func batch(step: Int) -> TrainingBatch {
        var inputs = [Int32](), targets = [Int32]()
        inputs.reserveCapacity(sequences * sequenceLength)
        targets.reserveCapacity(sequences * sequenceLength)
        for sequence in 0..<sequences {
            var random = SplitMix64(seed: seed ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15)
                                    ^ (UInt64(sequence) &* 0xD1B5_4A32_D192_ED03))
            let rule = Int(random.next() % UInt64(rules))
            var token = Int(random.next() % UInt64(vocabulary))
            for _ in 0..<sequenceLength {
                inputs.append(Int32(token))
                token = next(after: token, rule: rule)
                targets.append(Int32(token))
            }
        }
        return TrainingBatch(checked: sequences, sequenceLength: sequenceLength, inputs: inputs, targets: targets)
    }
}
