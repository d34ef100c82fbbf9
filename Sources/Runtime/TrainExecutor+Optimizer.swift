import Kernels
import MPIKit
import Program
import Training

/// The two parameter sets a rank keeps optimizer state for, each synchronised over its own
/// group (the program's `data` and `expertData` collectives).
enum ParameterSet: CaseIterable {
    /// Non-expert weights (and the experts when ep = 1), over the ranks holding the same stage.
    case dense
    /// Routed experts when ep > 1, over the ranks holding the same experts.
    case experts

    /// The set a grad-sync or param-gather op of `group` works on.
    init(_ group: ProcessGroup) { self = group == .expertData ? .experts : .dense }
}

extension TrainExecutor {
    /// `grad-sync` of `set`: sums its gradients over the ranks holding it — a reduce-scatter to
    /// this rank's shard with ZeRO-1, an all-reduce without — and, with the dense set, the MoE
    /// layers' expert loads over the ranks running them.
    func synchronizeGradients(_ set: ParameterSet) throws {
        let gradients = worker.gradients.values
        switch set {
        case .dense:
            denseShard.gradient = try denseShard.reduce(pack(gradients, owned.dense))
            var loads = worker.load.flatMap { $0.map(Double.init) }
            if let syncGroup, syncGroup.size > 1, !loads.isEmpty { loads = try syncGroup.allreduce(array: loads, .sum) }
            stepLoads = loads
        case .experts:
            expertShard.gradient = try expertShard.reduce(pack(gradients, owned.experts))
        }
    }

    /// `optimizer`: AdamW on this rank's shard of each set (step `step`, 1-based), then the
    /// balancing bias of every MoE layer from the step's summed loads.
    func update(step: Int) throws {
        try denseShard.adamW(parameters: pack(worker.weights.values, owned.dense), step: step, configuration: optimizerConfiguration)
        try expertShard.adamW(parameters: pack(worker.weights.values, owned.experts), step: step,
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
        case .dense: unpack(try denseShard.gatherParameters(), into: owned.dense)
        case .experts: unpack(try expertShard.gatherParameters(), into: owned.experts)
        }
    }

    private func pack(_ values: [Float], _ ranges: [Range<Int>]) -> [Float] {
        var result: [Float] = []
        result.reserveCapacity(ranges.reduce(0) { $0 + $1.count })
        for range in ranges { result += values[range] }
        return result
    }

    private func unpack(_ values: [Float], into ranges: [Range<Int>]) {
        var offset = 0
        for range in ranges where offset + range.count <= values.count {
            worker.weights.values.replaceSubrange(range, with: values[offset..<(offset + range.count)])
            offset += range.count
        }
    }
}

extension OptimizerShard {
    /// The summed gradient this rank updates: its shard (ZeRO-1) or the whole set.
    func reduce(_ full: [Float]) throws -> [Float] {
        guard let group, group.size > 1, length > 0 else { return full }
        var padded = full + [Float](repeating: 0, count: self.padded - full.count)
        if isSharded {
            var shard = [Float](repeating: 0, count: self.padded / group.size)
            try padded.withUnsafeBufferPointer { (send) throws(MPIError) in
                try shard.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in try group.reduceScatter(send, into: receive, .sum) }
            }
            return shard
        }
        try padded.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in try group.allreduce(buffer, .sum) }
        return Array(padded.prefix(length))
    }

    /// AdamW on the shard of `parameters` (the whole set, packed) with the reduced gradient.
    mutating func adamW(parameters: [Float], step: Int, configuration: AdamWConfiguration) throws {
        let range = shardRange
        var values = parameters + [Float](repeating: 0, count: max(0, range.upperBound - parameters.count))
        var shard = Array(values[range])
        guard shard.count == gradient.count, shard.count == firstMoment.count else {
            throw TrainRunError("optimizer shard of \(shard.count) values, gradient \(gradient.count), state \(firstMoment.count)")
        }
        if !shard.isEmpty {
            try shard.withUnsafeMutableBufferPointer { p in
                try gradient.withUnsafeBufferPointer { g in
                    try firstMoment.withUnsafeMutableBufferPointer { m in
                        try secondMoment.withUnsafeMutableBufferPointer {
                            try adamWStep(parameters: p, gradients: g, firstMoment: m, secondMoment: $0, step: step,
                                          configuration: configuration)
                        }
                    }
                }
            }
        }
        values.replaceSubrange(range, with: shard)
        updated = Array(values.prefix(parameters.count))
        updatedShard = shard
    }

    /// The whole updated set on every rank of the group.
    func gatherParameters() throws -> [Float] {
        guard isSharded, let group else { return updated }
        var all = [Float](repeating: 0, count: padded)
        try updatedShard.withUnsafeBufferPointer { (send) throws(MPIError) in
            try all.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in try group.allgather(send, into: receive) }
        }
        return Array(all.prefix(length))
    }
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
