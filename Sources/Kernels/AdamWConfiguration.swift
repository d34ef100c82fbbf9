/// AdamW's hyper-parameters (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"),
/// for ``adamWStep(parameters:gradients:firstMoment:secondMoment:step:configuration:)``.
public struct AdamWConfiguration: Sendable, Equatable {
    /// Step size `lr`; finite and ≥ 0.
    public var learningRate: Float
    /// Decay of the first-moment (mean) estimate; in `[0, 1)`.
    public var beta1: Float
    /// Decay of the second-moment (uncentred variance) estimate; in `[0, 1)`.
    public var beta2: Float
    /// Added to `√v̂` in the denominator; finite and > 0.
    public var epsilon: Float
    /// Decoupled weight decay `λ` (the parameter shrinks by `lr · λ` of itself per step); finite and ≥ 0.
    public var weightDecay: Float

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Throws `TrainingKernelError.invalidConfiguration` naming the first field that is
    /// non-finite or out of its range.
    public func validate() throws {
        func fail(_ name: String, _ value: Float, _ range: String) -> TrainingKernelError {
            .invalidConfiguration("AdamW \(name) must be \(range), got \(value)")
        }
        guard learningRate.isFinite, learningRate >= 0 else { throw fail("learningRate", learningRate, "finite and ≥ 0") }
        guard beta1 >= 0, beta1 < 1 else { throw fail("beta1", beta1, "in [0, 1)") }
        guard beta2 >= 0, beta2 < 1 else { throw fail("beta2", beta2, "in [0, 1)") }
        guard epsilon.isFinite, epsilon > 0 else { throw fail("epsilon", epsilon, "finite and > 0") }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw fail("weightDecay", weightDecay, "finite and ≥ 0") }
    }
}
