/// What a gate decided for a batch of tokens.
public struct GatingResult: Sendable, Equatable {
    public var tokens: Int
    public var topK: Int
    /// `tokens × topK`, row-major: the chosen experts of each token, best (highest biased
    /// score) first; ties go to the lower expert index.
    public var expertIDs: [Int32]
    /// `tokens × topK`, aligned with `expertIDs`: the gate weights (unbiased scores, normalised
    /// if configured, times `routeScale`).
    public var weights: [Float]
    /// Per expert, how many tokens chose it.
    public var tokensPerExpert: [Int]
}
