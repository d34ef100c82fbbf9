/// How router scores are made from logits.
public enum GatingScoreFunction: String, Sendable, Equatable, CaseIterable {
    /// `s = 1 / (1 + e^(−logit))` per expert (DeepSeek-V3).
    case sigmoid
    /// `s = softmax(logits)` over all experts of a token (DeepSeek-V2, Mixtral-style).
    case softmax
}
