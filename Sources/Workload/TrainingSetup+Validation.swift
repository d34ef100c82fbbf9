import Config

extension TrainingSetup {
    /// Checks the setup against a model and a cluster size; the error says what to change.
    public func validate(model: TransformerModel, gpuCount: Int) throws(TrainingSetupError) {
        let degrees = WorkloadBounds.degree
        guard degrees.contains(tp), degrees.contains(pp), degrees.contains(dp), degrees.contains(ep), degrees.contains(cp) else {
            throw TrainingSetupError("parallel degrees must be in \(Bound.describe(degrees)) (tp=\(tp), cp=\(cp), pp=\(pp), ep=\(ep), dp=\(dp))")
        }
        // Each degree ≤ 2²⁴: compare by division, so no product of three degrees is formed.
        let product = Double(tp) * Double(cp) * Double(pp) * Double(dp)
        guard product == Double(gpuCount), gpuCount % (tp * pp) == 0, (gpuCount / (tp * pp)) % cp == 0,
              gpuCount / (tp * pp) / cp == dp else {
            let context = cp > 1 ? "tp×cp×pp×dp = \(tp)×\(cp)×\(pp)×\(dp)" : "tp×pp×dp = \(tp)×\(pp)×\(dp)"
            let fits = gpuCount % (tp * pp) == 0 && (gpuCount / (tp * pp)) % cp == 0
            let hint = fits ? "set dp=\(gpuCount / (tp * pp) / cp)" : "choose tp×\(cp > 1 ? "cp×" : "")pp dividing \(gpuCount)"
            throw TrainingSetupError("\(context) = \(Bound.describe(product)), but the cluster has \(gpuCount) GPUs: \(hint)")
        }
        let columns = dp * cp * tp
        guard columns % ep == 0 else {
            throw TrainingSetupError("ep=\(ep) must divide dp×\(cp > 1 ? "cp×" : "")tp = \(columns) (expert parallelism is carved out of the data-\(cp > 1 ? ", context-" : "") and tensor-parallel ranks of a stage): choose ep among the divisors of \(columns)")
        }
        if sequenceParallel && tp < 2 {
            throw TrainingSetupError("sequence parallelism (sp) splits the tensor-parallel group's tokens: it needs tp ≥ 2 (tp=\(tp)); set sp = false or raise tp")
        }
        if shardedGathers != .step && zeroStage != 3 {
            throw TrainingSetupError("gathers = '\(shardedGathers.rawValue)' gathers sharded weights: it needs zero = 3 (got \(zeroStage)); use zero = 3 or gathers = 'step'")
        }
        if cp > 1 && sequenceLength % (2 * cp) != 0 {
            throw TrainingSetupError("context parallelism splits each sequence into 2×cp = \(2 * cp) chunks (balanced causal chunking): sequence length \(sequenceLength) is not a multiple of \(2 * cp)")
        }
        if let moe = model.moe {
            guard moe.routedExperts % ep == 0 else {
                throw TrainingSetupError("ep=\(ep) does not divide the \(moe.routedExperts) routed experts of \(model.name): choose ep dividing \(moe.routedExperts)")
            }
        } else if ep > 1 {
            throw TrainingSetupError("ep=\(ep) but \(model.name) is dense (no experts): set ep=1")
        }
        guard (0...3).contains(zeroStage) else {
            throw TrainingSetupError("ZeRO stage \(zeroStage) does not exist: use 0, 1, 2 or 3")
        }
        guard model.attention.heads % tp == 0 else {
            throw TrainingSetupError("tp=\(tp) does not divide the \(model.attention.heads) attention heads: choose tp dividing \(model.attention.heads)")
        }
        guard schedule != .interleaved || virtualStages <= WorkloadBounds.virtualStages.upperBound else {
            throw TrainingSetupError("the interleaved schedule needs virtualStages in \(Bound.describe(WorkloadBounds.virtualStages)) (got \(virtualStages)): use interleaved(2) or 1f1b")
        }
        let chunksPerRank = schedule == .interleaved ? virtualStages : 1   // DualPipe mirrors stages: PP positions
        let blocks = model.layers + model.mtpModules
        guard !stageLayers.isEmpty || blocks >= pp * chunksPerRank else {
            throw TrainingSetupError("\(model.name) has \(blocks) layers (with MTP), too few to split over pp=\(pp)\(chunksPerRank > 1 ? " × \(chunksPerRank) virtual stages" : ""): lower pp to at most \(blocks / chunksPerRank)")
        }
        try checkStageLayers(model: model, chunksPerRank: chunksPerRank)
        try checkSizes()
        guard globalBatchSequences % (dp * microBatchSequences) == 0 else {
            throw TrainingSetupError("global batch \(globalBatchSequences) is not divisible into dp=\(dp) replicas × micro-batches of \(microBatchSequences): use a global batch that is a multiple of \(dp * microBatchSequences)")
        }
        let n = microBatches
        switch schedule {
        case .dualpipe:
            guard pp % 2 == 0 else {
                let evens = (pp > 1 ? "pp=\(pp - 1) or " : "") + "pp=\(pp + 1)"
                throw TrainingSetupError("DualPipe needs an even number of pipeline stages, got pp=\(pp): use \(evens), or another schedule (1f1b)")
            }
            guard n % 2 == 0, n >= 2 * pp else {
                throw TrainingSetupError("DualPipe needs an even number of micro-batches ≥ 2×pp = \(2 * pp) per pipeline, got \(n): raise the global batch or lower the micro-batch size")
            }
        case .interleaved:
            guard virtualStages >= 2 else {
                throw TrainingSetupError("the interleaved schedule needs virtualStages ≥ 2 (got \(virtualStages)): use interleaved(2) or 1f1b")
            }
        case .oneFOneB, .zb1p:
            break
        }
        if n < 1 {
            throw TrainingSetupError("no micro-batches: the global batch \(globalBatchSequences) is smaller than dp×micro-batch = \(dp * microBatchSequences)")
        }
        for rank in stragglers.slowRanks where rank < 0 || rank >= gpuCount {
            throw TrainingSetupError("straggler rank \(rank) is outside 0..<\(gpuCount)")
        }
    }
}

extension TrainingSetup {
    /// Per-stage layer counts, when given: one per stage, summing to the model's layers, each
    /// stage with at least one layer per chunk it holds; or, under the interleaved schedule, one
    /// per virtual stage, each at least one but the first and last, which may hold only the
    /// embedding or only the head (their rank holds layers in its other chunks).
    func checkStageLayers(model: TransformerModel, chunksPerRank: Int) throws(TrainingSetupError) {
        guard !stageLayers.isEmpty else { return }
        let positions = pipelinePositions
        guard stageLayers.count == pp || stageLayers.count == positions else {
            let perPosition = positions != pp ? " or one per virtual stage (pp·v = \(positions))" : ""
            throw TrainingSetupError("stageLayers has \(stageLayers.count) entries but pp=\(pp): give one layer count per pipeline stage\(perPosition)")
        }
        let sum = stageLayers.reduce(0) { $0 + min(max($1, 0), WorkloadBounds.layers.upperBound) }
        guard sum == model.layers else {
            throw TrainingSetupError("stageLayers sums to \(sum) but \(model.name) has \(model.layers) layers (MTP modules join the last stage by themselves): make the counts add up to \(model.layers)")
        }
        if stageLayers.count == positions && positions > pp {
            let inner = positions > 2 ? stageLayers[1..<(positions - 1)] : []
            if let position = inner.firstIndex(where: { $0 < 1 }) {
                throw TrainingSetupError("virtual stage \(position) (stage \(position % pp), chunk \(position / pp)) gets no layer in stageLayers: only the first and the last virtual stage may hold none (the embedding, the output head)")
            }
        } else if let stage = stageLayers.firstIndex(where: { $0 < chunksPerRank }) {
            throw TrainingSetupError("stage \(stage) gets \(stageLayers[stage]) layers in stageLayers, fewer than the \(chunksPerRank) \(chunksPerRank > 1 ? "virtual stages" : "layer") it must hold: give every stage at least \(chunksPerRank)")
        }
    }

    /// The sizes flags may set without a file's bounds (docs/running-jobs.md, "Bounds on numbers").
    func checkSizes() throws(TrainingSetupError) {
        let batch = WorkloadBounds.batchSequences
        guard microBatchSequences >= 1, globalBatchSequences >= 1, sequenceLength >= 1 else {
            throw TrainingSetupError("sequence length, global batch and micro-batch must be ≥ 1")
        }
        guard WorkloadBounds.sequenceLength.contains(sequenceLength) else {
            throw TrainingSetupError("sequence length \(sequenceLength) is outside \(Bound.describe(WorkloadBounds.sequenceLength))")
        }
        guard batch.contains(globalBatchSequences), batch.contains(microBatchSequences) else {
            throw TrainingSetupError("global batch \(globalBatchSequences) and micro-batch \(microBatchSequences) must be in \(Bound.describe(batch)) sequences")
        }
        guard WorkloadBounds.tokensToTrain.contains(tokensToTrain) else {
            throw TrainingSetupError("tokens to train \(tokensToTrain) is outside \(Bound.describe(WorkloadBounds.tokensToTrain))")
        }
        guard WorkloadBounds.communicationSMs.contains(communicationSMs) else {
            throw TrainingSetupError("communication SMs \(communicationSMs) is outside \(Bound.describe(WorkloadBounds.communicationSMs))")
        }
    }
}
