/// Ranks that compute slower than the rest: a list of slow ranks with one slowdown factor, and/or
/// every rank's speed drawn from a log-normal distribution (factor = exp(σ·N(0,1)), ≥ 1).
public struct StragglerModel: Sendable, Equatable {
    /// Ranks whose compute takes `slowdown` times longer.
    public var slowRanks: [Int]
    /// Compute-time factor of the slow ranks (≥ 1).
    public var slowdown: Double
    /// σ of the per-rank log-normal slowdown (0 = none).
    public var logNormalSigma: Double

    public init(slowRanks: [Int] = [], slowdown: Double = 1, logNormalSigma: Double = 0) {
        self.slowRanks = slowRanks
        self.slowdown = slowdown
        self.logNormalSigma = logNormalSigma
    }

    /// No stragglers.
    public static let none = StragglerModel()
}
