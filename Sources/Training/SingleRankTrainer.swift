import Kernels

/// What one step computed, before the optimizer: the loss, the gradients and each MoE layer's
/// expert load.
public struct StepGradients: Sendable {
    /// Mean cross-entropy over the step's tokens (micro-batch losses weighted by their tokens).
    public let loss: Double
    /// Gradients of ``loss`` with respect to every parameter, summed over micro-batches.
    public let gradients: ParameterGradients
    /// Per layer (empty for a dense layer), tokens routed to each expert over the step.
    public let expertLoad: [[Int]]
    /// Per layer (empty for a dense layer), every micro-batch's expert ids (tokens × topK),
    /// concatenated in token order.
    public let expertIDs: [[Int32]]
}

/// One step's outcome.
public struct StepStatistics: Sendable, Equatable {
    /// The step (1 for the first).
    public let step: Int
    /// Mean cross-entropy of the step's batch, before the update.
    public let loss: Double
    /// `‖gradient‖₂` before the update.
    public let gradientNorm: Double
    /// Per layer (empty for a dense layer), tokens routed to each expert.
    public let expertLoad: [[Int]]
}

/// The single-rank reference training step: forward and backward of every micro-batch through
/// ``ModelOps``, gradients accumulated over micro-batches, AdamW on every parameter, then the
/// auxiliary-loss-free bias update of every MoE layer
/// (`bias_e −= γ · sign(load_e − mean load)`, load counted over the whole step).
public struct SingleRankTrainer: Sendable {
    public let ops: ModelOps
    public internal(set) var weights: ModelWeights
    /// Per layer, the gate's balancing bias (routedExperts values; empty for a dense layer).
    public internal(set) var routerBias: [[Float]]
    public let optimizer: AdamWConfiguration
    /// The bias update speed γ.
    public let biasUpdateRate: Float
    /// Steps taken so far.
    public internal(set) var steps = 0
    var firstMoment: [Float]
    var secondMoment: [Float]

    /// A trainer of `model` with weights drawn from `seed` (see ``ModelWeights``).
    /// The bias update speed γ unless told otherwise (a distributed step uses the same).
    public static let defaultBiasUpdateRate: Float = 1e-3

    public init(model: TrainingModel, seed: UInt64, optimizer: AdamWConfiguration,
                biasUpdateRate: Float = SingleRankTrainer.defaultBiasUpdateRate,
                threads: Int = 1) throws {
        do { try optimizer.validate() } catch let error as TrainingKernelError { throw TrainingError.kernel(error) }
        guard biasUpdateRate.isFinite, biasUpdateRate >= 0 else {
            throw TrainingError.invalidConfiguration("biasUpdateRate must be finite and ≥ 0, found \(biasUpdateRate)")
        }
        ops = ModelOps(model: model, threads: threads)
        weights = ModelWeights(model: model, seed: seed)
        let experts = model.gating?.routedExperts ?? 0
        routerBias = (0..<model.layers).map { [Float](repeating: 0, count: model.isMoELayer($0) ? experts : 0) }
        self.optimizer = optimizer
        self.biasUpdateRate = biasUpdateRate
        firstMoment = [Float](repeating: 0, count: weights.values.count)
        secondMoment = firstMoment
    }

    /// Replaces the weights (same layout), e.g. to probe the loss in a gradient check.
    public mutating func setWeights(_ values: [Float]) throws {
        guard values.count == weights.values.count else {
            throw TrainingError.invalidConfiguration("\(values.count) weights for a layout of \(weights.values.count)")
        }
        weights.values = values
    }

    /// Replaces layer `layer`'s balancing bias.
    public mutating func setRouterBias(_ bias: [Float], layer: Int) throws {
        guard routerBias.indices.contains(layer), bias.count == routerBias[layer].count else {
            throw TrainingError.invalidConfiguration("layer \(layer) takes \(routerBias[safe: layer]?.count ?? 0) bias values")
        }
        routerBias[layer] = bias
    }

    /// Loss, gradients and expert load of `batch` split into `microBatches` (which must divide
    /// its sequences), without changing anything. With `replicas` (which must divide
    /// `microBatches`), the gradients are summed as a data-parallel run sums them: each replica's
    /// consecutive micro-batches into its own buffer, then the replicas in order — so a run of
    /// two replicas, whose reduction adds its two buffers (FP32 addition commutes), gets the same
    /// sums bit for bit, and more replicas differ only by the order of MPI's reduction.
    public func gradients(batch: TrainingBatch, microBatches: Int = 1, replicas: Int = 1) throws -> StepGradients {
        guard microBatches >= 1, batch.sequences % microBatches == 0 else {
            throw TrainingError.invalidBatch("\(microBatches) micro-batches must divide \(batch.sequences) sequences")
        }
        guard replicas >= 1, microBatches % replicas == 0 else {
            throw TrainingError.invalidBatch("\(replicas) replicas must divide \(microBatches) micro-batches")
        }
        let perReplica = microBatches / replicas
        // The replicas summed so far, in order (one buffer beside the current replica's).
        var summed: ParameterGradients?
        var gradients = ParameterGradients(layout: weights.layout)
        let layers = ops.model.layers
        var load = routerBias.map { [Int](repeating: 0, count: $0.count) }
        var ids = [[Int32]](repeating: [], count: layers)
        var loss = 0.0
        for index in 0..<microBatches {
            if replicas > 1, index > 0, index % perReplica == 0 {
                Self.accumulate(gradients, into: &summed)
                gradients = ParameterGradients(layout: weights.layout)
            }
            let micro = try batch.microBatch(index, of: microBatches)
            let shape = ActivationShape(sequences: micro.sequences, sequenceLength: micro.sequenceLength)
            var activations = [LayerActivations]()
            var x = try ops.embeddingForward(tokens: micro.inputs, weights: weights)
            for layer in 0..<layers {
                let bias = routerBias[layer].isEmpty ? nil : routerBias[layer]
                activations.append(try ops.layerForward(layer, input: x, shape: shape, weights: weights, routerBias: bias))
                x = activations[layer].output
                if let routing = activations[layer].routing {
                    for e in load[layer].indices { load[layer][e] += routing.gating.tokensPerExpert[e] }
                    ids[layer] += routing.gating.expertIDs
                }
            }
            let head = try ops.headForward(input: x, targets: micro.targets, shape: shape, weights: weights)
            let share = Double(micro.tokens) / Double(batch.tokens)
            loss += share * head.loss
            var d = try ops.headBackward(head, lossWeight: Float(share), weights: weights, gradients: &gradients)
            for layer in stride(from: layers - 1, through: 0, by: -1) {
                d = try ops.layerBackward(activations[layer], dOutput: d, weights: weights, gradients: &gradients)
            }
            try ops.embeddingBackward(tokens: micro.inputs, dOut: d, weights: weights, gradients: &gradients)
        }
        if replicas > 1 {
            Self.accumulate(gradients, into: &summed)
            gradients = summed ?? gradients
        }
        return StepGradients(loss: loss, gradients: gradients, expertLoad: load, expertIDs: ids)
    }

    /// Adds a finished replica's gradients to the sum of those before it (the first is the sum).
    private static func accumulate(_ replica: ParameterGradients, into summed: inout ParameterGradients?) {
        if summed == nil { summed = replica } else { summed?.values.add(replica.values) }
    }

    /// One training step on `batch`: gradients over `microBatches` (summed per replica, see
    /// ``gradients(batch:microBatches:replicas:)``), AdamW, bias update.
    @discardableResult
    public mutating func step(batch: TrainingBatch, microBatches: Int = 1, replicas: Int = 1) throws -> StepStatistics {
        let result = try gradients(batch: batch, microBatches: microBatches, replicas: replicas)
        try apply(result)
        return StepStatistics(step: steps, loss: result.loss, gradientNorm: result.gradients.norm,
                              expertLoad: result.expertLoad)
    }

    /// AdamW on every parameter with `result`'s gradients, then the balancing-bias update from
    /// its expert load; counts one step. (A distributed run applies the same update to its shard.)
    public mutating func apply(_ result: StepGradients) throws {
        guard result.gradients.layout == weights.layout else {
            throw TrainingError.invalidConfiguration("gradients of another model")
        }
        let step = steps + 1, configuration = optimizer
        try TrainingError.wrapping {
            try weights.values.withUnsafeMutableBufferPointer { p in
                try result.gradients.values.withUnsafeBufferPointer { g in
                    try firstMoment.withUnsafeMutableBufferPointer { m in
                        try secondMoment.withUnsafeMutableBufferPointer {
                            try adamWStep(parameters: p, gradients: g, firstMoment: m, secondMoment: $0, step: step,
                                          configuration: configuration)
                        }
                    }
                }
            }
        }
        for layer in routerBias.indices where !routerBias[layer].isEmpty {
            routerBias[layer] = Self.updatedBias(routerBias[layer], load: result.expertLoad[layer], rate: biasUpdateRate)
        }
        steps = step
    }

    /// Auxiliary-loss-free balancing: each expert's bias moves by `rate` against the sign of
    /// its load minus the mean load (an overloaded expert becomes less likely to be chosen).
    public static func updatedBias(_ bias: [Float], load: [Int], rate: Float) -> [Float] {
        guard !load.isEmpty else { return bias }
        let mean = Double(load.reduce(0, +)) / Double(load.count)
        return zip(bias, load).map { value, count in
            let excess = Double(count) - mean
            return value - rate * (excess > 0 ? 1 : excess < 0 ? -1 : 0)
        }
    }
}

extension Array {
    /// The element at `index`, or nil outside the array.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
