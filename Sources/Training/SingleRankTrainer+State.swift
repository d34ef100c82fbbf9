/// What a ``SingleRankTrainer`` needs to go on from where it stopped: its steps, weights,
/// balancing biases and AdamW moments (a checkpoint of the reference run).
public struct TrainerState: Equatable, Sendable {
    public var steps: Int
    public var weights: [Float]
    public var routerBias: [[Float]]
    public var firstMoment: [Float]
    public var secondMoment: [Float]

    public init(steps: Int, weights: [Float], routerBias: [[Float]], firstMoment: [Float], secondMoment: [Float]) {
        self.steps = steps
        self.weights = weights
        self.routerBias = routerBias
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }
}

extension SingleRankTrainer {
    /// The trainer's state now.
    public var state: TrainerState {
        TrainerState(steps: steps, weights: weights.values, routerBias: routerBias, firstMoment: firstMoment,
                     secondMoment: secondMoment)
    }

    /// Goes on from `state` (taken of a trainer of the same model): the next step is `state.steps + 1`.
    public mutating func restore(_ state: TrainerState) throws {
        let count = weights.values.count
        guard state.steps >= 0, state.weights.count == count, state.firstMoment.count == count, state.secondMoment.count == count,
              state.routerBias.map(\.count) == routerBias.map(\.count) else {
            throw TrainingError.invalidConfiguration(
                "a trainer state of \(state.weights.count) weights and \(state.routerBias.map(\.count)) bias values does not fit "
                    + "this model's \(count) weights and \(routerBias.map(\.count))")
        }
        steps = state.steps
        weights.values = state.weights
        routerBias = state.routerBias
        firstMoment = state.firstMoment
        secondMoment = state.secondMoment
    }
}
