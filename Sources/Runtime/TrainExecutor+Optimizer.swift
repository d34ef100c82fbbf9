import Kernels
import MPIKit
import Program
import Training

/// The two parameter sets a rank keeps optimizer state for, each synchronised over its own
/// group (the program's `data` and `expertData` collectives).
enum ParameterSet: CaseIterable {
    /// Non-expert weights, over the ranks holding the same stage.
    case dense
    /// Routed experts, over the ranks holding the same experts (at ep = 1 the same ranks as
    /// `dense`: two collectives, as the program has).
    case experts

    /// The set a grad-sync or param-gather op of `group` works on.
    init(_ group: ProcessGroup) { self = group == .expertData ? .experts : .dense }
}

extension TrainExecutor {
    /// The ranks `set` is synchronised over (nil: none).
    func group(of set: ParameterSet) -> Communicator? {
        set == .dense ? denseShard.group : expertShard.group
    }

    /// `grad-sync` of `set`: sums its gradients over the ranks holding it — a reduce-scatter to
    /// this rank's shard with ZeRO-1, an all-reduce without — and, with the dense set, the MoE
    /// layers' expert loads over the ranks running them.
    func synchronizeGradients(_ set: ParameterSet) throws {
        switch set {
        case .dense:
            try denseShard.reduceGradient(of: worker.gradients.values, owned.dense)
            var loads = worker.load.flatMap { $0.map(Double.init) }
            if let syncGroup, syncGroup.size > 1, !loads.isEmpty { loads = try syncGroup.allreduce(array: loads, .sum) }
            stepLoads = loads
        case .experts:
            try expertShard.reduceGradient(of: worker.gradients.values, owned.experts)
        }
    }

    /// `optimizer`: AdamW on this rank's shard of each set (step `step`, 1-based), then the
    /// balancing bias of every MoE layer from the step's summed loads.
    func update(step: Int) throws {
        try denseShard.adamW(parameters: worker.weights.values, owned.dense, step: step, configuration: optimizerConfiguration)
        try expertShard.adamW(parameters: worker.weights.values, owned.experts, step: step,
                              configuration: optimizerConfiguration)
        var offset = 0
        for layer in worker.routerBias.indices {
            let experts = worker.routerBias[layer].count
            defer { offset += experts }
            guard experts > 0, offset + experts <= stepLoads.count else { continue }
            let load = stepLoads[offset..<(offset + experts)].map { Int($0) }
            worker.routerBias[layer] = SingleRankTrainer.updatedBias(worker.routerBias[layer], load: load,
                                                                      rate: SingleRankTrainer.defaultBiasUpdateRate)
        }
    }

    /// `param-gather` of `set`: every rank of its group gets the updated set (all-gather of the
    /// shards with ZeRO-1), written back into the weights.
    func gatherParameters(_ set: ParameterSet) throws {
        switch set {
        case .dense:
            try denseShard.gatherParameters()
            PackedRanges.unpack(denseShard.updated, into: &worker.weights.values, owned.dense)
        case .experts:
            try expertShard.gatherParameters()
            PackedRanges.unpack(expertShard.updated, into: &worker.weights.values, owned.experts)
        }
    }
}

extension OptimizerShard {
    /// Sums the set's gradients (`ranges` of `gradients`, packed) over the group into
    /// ``gradient``: this rank's shard (ZeRO-1) or the whole set. The buffers are kept from step
    /// to step.
    mutating func reduceGradient(of gradients: [Float], _ ranges: [Range<Int>]) throws {
        PackedRanges.pack(gradients, ranges, into: &packedGradient, count: padded)
        guard let group, group.size > 1, length > 0 else { return }
        if isSharded {
            if shardGradient.count != padded / group.size { shardGradient = [Float](repeating: 0, count: padded / group.size) }
            try packedGradient.withUnsafeBufferPointer { (send) throws(MPIError) in
                try shardGradient.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                    try group.reduceScatter(send, into: receive, .sum)
                }
            }
            return
        }
        try packedGradient.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in try group.allreduce(buffer, .sum) }
    }

    /// The step's reduced gradient of this rank's part (see ``reduceGradient(of:_:)``).
    var gradient: ArraySlice<Float> {
        guard let group, group.size > 1, length > 0, isSharded else { return packedGradient.prefix(length) }
        return shardGradient[...]
    }

    /// AdamW on this rank's shard of the set (`ranges` of `parameters`, packed into a buffer kept
    /// from step to step) with the reduced gradient; ``updated`` then holds the set as this rank
    /// knows it before the gather.
    mutating func adamW(parameters: [Float], _ ranges: [Range<Int>], step: Int, configuration: AdamWConfiguration) throws {
        let range = shardRange, gradient = self.gradient
        PackedRanges.pack(parameters, ranges, into: &packedParameters, count: padded)
        guard range.count == gradient.count, range.count == firstMoment.count else {
            throw TrainRunError("optimizer shard of \(range.count) values, gradient \(gradient.count), state \(firstMoment.count)")
        }
        guard !range.isEmpty else { return }
        try packedParameters.withUnsafeMutableBufferPointer { all in
            try gradient.withUnsafeBufferPointer { g in
                try firstMoment.withUnsafeMutableBufferPointer { m in
                    try secondMoment.withUnsafeMutableBufferPointer {
                        try adamWStep(parameters: UnsafeMutableBufferPointer(rebasing: all[range]), gradients: g, firstMoment: m,
                                      secondMoment: $0, step: step, configuration: configuration)
                    }
                }
            }
        }
    }

    /// With ZeRO-1, gathers every rank's updated shard so that ``updated`` holds the whole set.
    mutating func gatherParameters() throws {
        guard isSharded, let group else { return }
        if gathered.count != padded { gathered = [Float](repeating: 0, count: padded) }
        let range = shardRange
        try packedParameters.withUnsafeBufferPointer { (all) throws(MPIError) in
            try gathered.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                try group.allgather(UnsafeBufferPointer(rebasing: all[range]), into: receive)
            }
        }
    }

    /// The whole updated set, packed: after ``adamW(parameters:_:step:configuration:)`` this
    /// rank's, after ``gatherParameters()`` the group's.
    var updated: ArraySlice<Float> { (isSharded ? gathered : packedParameters).prefix(length) }
}

extension TrainExecutor {
    /// What identifies the run a checkpoint of this task belongs to (task, layout, seed, model size, ranks).
    var checkpointFingerprint: String {
        let setup = task.setup
        return "\(task.name) \(task.model.name) parameters \(worker.weights.values.count) seed \(task.seed) pp \(setup.pp) dp \(setup.dp) "
            + "ep \(setup.ep) zero \(setup.zeroStage) \(setup.schedule.rawValue)(\(setup.virtualStages)) "
            + "micro-batches \(setup.microBatches)×\(setup.microBatchSequences) sequence \(setup.sequenceLength) ranks \(world.size) "
            + "learning rate \(task.learningRate) weight decay \(task.weightDecay)"
    }

    /// This rank's state after its completed steps (see ``TrainCheckpoint``).
    func checkpoint(reference: TrainerState?) -> TrainCheckpoint {
        TrainCheckpoint(fingerprint: checkpointFingerprint, rank: rank, completedSteps: completedSteps, owned: ownedValues(),
                        routerBias: worker.routerBias, denseMoments: (denseShard.firstMoment, denseShard.secondMoment),
                        expertMoments: (expertShard.firstMoment, expertShard.secondMoment), reference: reference)
    }

    /// Goes on from `checkpoint`, taken of this rank of the same run.
    func restore(_ checkpoint: TrainCheckpoint) throws {
        guard checkpoint.fingerprint == checkpointFingerprint, checkpoint.rank == rank else {
            throw TrainRunError("the checkpoint of rank \(checkpoint.rank) belongs to another run (\(checkpoint.fingerprint)); "
                                + "this is rank \(rank) of \(checkpointFingerprint)")
        }
        let ownedCount = owned.all.reduce(0) { $0 + $1.count }
        guard checkpoint.owned.count == ownedCount, checkpoint.routerBias.map(\.count) == worker.routerBias.map(\.count),
              checkpoint.denseMoments.first.count == denseShard.firstMoment.count,
              checkpoint.denseMoments.second.count == denseShard.secondMoment.count,
              checkpoint.expertMoments.first.count == expertShard.firstMoment.count,
              checkpoint.expertMoments.second.count == expertShard.secondMoment.count else {
            throw TrainRunError("rank \(rank)'s checkpoint does not fit its parameters and optimizer shards")
        }
        var offset = 0
        for range in owned.all {
            worker.weights.values.replaceSubrange(range, with: checkpoint.owned[offset..<(offset + range.count)])
            offset += range.count
        }
        worker.routerBias = checkpoint.routerBias
        (denseShard.firstMoment, denseShard.secondMoment) = checkpoint.denseMoments
        (expertShard.firstMoment, expertShard.secondMoment) = checkpoint.expertMoments
        completedSteps = checkpoint.completedSteps
    }
}
