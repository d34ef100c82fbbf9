import Foundation
import Hardware
import Kernels
import Program
import Workload

/// Simulates one training step of `model` with `setup` on `cluster`, rank by rank, and derives
/// throughput, MFU, GPU-hours, days, cost and energy for `setup.tokensToTrain`.
public struct TrainingSimulator: Sendable {
    public let model: TransformerModel
    public let setup: TrainingSetup
    public let cluster: ClusterSpec

    public init(model: TransformerModel, setup: TrainingSetup, cluster: ClusterSpec) {
        self.model = model
        self.setup = setup
        self.cluster = cluster
    }

    /// Checks what the training setup alone cannot: chip features and the node size.
    public func validate() throws(SimulationError) {
        try checkBounds()
        do { try setup.validate(model: model, gpuCount: cluster.gpuCount) } catch { throw SimulationError(error.description) }
        // Too large to run every rank: still simulable if folding leaves few enough (run() checks again).
        if (try? checkProgramSize(ranks: cluster.gpuCount)) == nil {
            try checkProgramSize(ranks: ranksToRun(folding: true, slowdown: slowdownFactors()))
        }
        if setup.precision == .fp8 && cluster.chip.fp8DenseTflops == nil {
            throw SimulationError("\(cluster.chip.name) has no FP8 tensor cores: use --precision bf16")
        }
        if setup.tp > cluster.gpusPerNode || cluster.gpusPerNode % setup.tp != 0 {
            throw SimulationError("tp=\(setup.tp) must divide the \(cluster.gpusPerNode) GPUs of a node (tensor parallelism stays inside a node)")
        }
        if case .histogram(let counts) = setup.expertLoad, let moe = model.moe, counts.count != moe.routedExperts {
            throw SimulationError("the expert-load histogram has \(counts.count) counts but \(model.name) has \(moe.routedExperts) routed experts: give one count per expert")
        }
        if setup.communicationSMs >= cluster.chip.streamingMultiprocessors {
            throw SimulationError("communicationSMs=\(setup.communicationSMs) leaves no SMs for compute (\(cluster.chip.name) has \(cluster.chip.streamingMultiprocessors))")
        }
    }

    /// Per-rank compute slowdown factors from the straggler model.
    public func slowdownFactors() -> [Double] {
        var factors = [Double](repeating: 1, count: cluster.gpuCount)
        let model = setup.stragglers
        if model.logNormalSigma > 0 {
            var generator = SplitMix64(seed: setup.seed &+ 0x5157)
            for rank in factors.indices { factors[rank] = max(1, exp(model.logNormalSigma * generator.nextGaussian())) }
        }
        for rank in Set(model.slowRanks) where factors.indices.contains(rank) { factors[rank] *= model.slowdown }
        return factors
    }

    /// A simulated step: the result, and (when asked) the program and its timeline for traces.
    public struct Run: Sendable {
        public var result: SimulationResult
        public var program: RankProgram?
        public var timeline: EventSimulator?
    }

    /// Runs the simulation. Identical data-parallel replicas are simulated once when that changes
    /// nothing (``TrainingLowering/lower(folding:distance:processes:process:)``) unless `fold` is false or the timeline is
    /// kept (a trace shows every rank).
    /// With an `exchange` of several processes, this process simulates its block of pipeline
    /// stages (``StagePartition``) and every process ends with the whole step's result.
    public func run(keepTimeline: Bool = false, fold: Bool = true, exchange: SimulationExchange? = nil) throws(SimulationError) -> Run {
        try validate()
        let clock = ContinuousClock.now
        let layout = PipelineLayout(model: model, setup: setup)
        let parameters = RankParameters(model: model, setup: setup, layout: layout, gpusPerNode: cluster.gpusPerNode)
        let memory = MemoryEstimate.estimate(model: model, setup: setup, layout: layout, parameters: parameters,
                                             capacityBytes: cluster.chip.memoryBytes)
        let flops = model.trainingFlopsPerToken(sequence: setup.sequenceLength, causal: false)
        let flopsCausal = model.trainingFlopsPerToken(sequence: setup.sequenceLength, causal: true)
        var result = SimulationResult(
            cluster: cluster.name, model: model.name, chip: cluster.chip.name, gpus: cluster.gpuCount,
            parallel: "tp=\(setup.tp)\(setup.cp > 1 ? ",cp=\(setup.cp)" : ""),pp=\(setup.pp),ep=\(setup.ep),dp=\(setup.dp),zero=\(setup.zeroStage)"
                + (setup.sequenceParallel ? ",sp" : "")
                + (setup.order == ParallelDimension.defaultOrder ? "" : ",order=" + setup.order.map(\.rawValue).joined(separator: "-")),
            schedule: setup.schedule == .interleaved ? "interleaved(\(setup.virtualStages))" : setup.schedule.rawValue,
            precision: setup.precision.rawValue, recompute: setup.recompute.rawValue, software: setup.software.summary,
            microBatches: setup.microBatches,
            tokensPerStep: setup.tokensPerStep, modelFlopsPerToken: flops, modelFlopsPerTokenCausal: flopsCausal,
            fits: memory.fits, memoryPerGpuBytes: memory.totalBytes, memory: memory, tokensToTrain: setup.tokensToTrain,
            ranksSimulated: 0, events: 0, simulationWallSeconds: 0, eventsPerSecond: 0, seed: setup.seed)
        guard memory.fits else { return Run(result: result) }

        let slowdown = slowdownFactors()
        try checkProgramSize(ranks: ranksToRun(folding: fold && !keepTimeline, slowdown: slowdown))
        let processes = exchange?.processes ?? 1
        if processes > 1 && keepTimeline { throw SimulationError("a trace needs the whole step in one process: run it without mpirun") }
        var lowering = TrainingLowering(model: model, setup: setup, gpusPerNode: cluster.gpusPerNode)
        let cluster = self.cluster
        let placement = lowering.ranks
        let program = lowering.lower(folding: fold && !keepTimeline ? slowdown : nil,
                                     distance: { cluster.distance(rank: placement.device(of: $0), rank: placement.device(of: $1)) },
                                     // A blocking send lengthens the sender's op: split, the sender and receiver
                                     // would be costed by different processes, so the step is lowered whole.
                                     processes: setup.overlapPipelineTransfers ? processes : 1, process: exchange?.process ?? 0)
        let costs = OpCostModel(cluster: cluster, setup: setup)
        let costed = costs.cost(program, slowdown: slowdown, placement: placement)
        // A step that could not be split (a folded step with fewer stages than processes, or a DualPipe
        // step split by stages) runs whole everywhere.
        let distributed = lowering.partition == nil ? nil : exchange
        let timeline: EventSimulator
        if let distributed { timeline = try EventSimulator(costed: costed, exchange: distributed) } else { timeline = try EventSimulator(costed: costed) }
        let wall = ContinuousClock.now - clock
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18

        fillStepFigures(&result, stepSeconds: timeline.stepSeconds)
        var breakdown = timeline.breakdown
        // Ops over every process's part; tensor-parallel seconds per rank, summed in rank order.
        let localEvents = Double(program.count - program.imports.count - program.sharedCollectives.count)
        let events = try distributed?.allGather([localEvents]).reduce(0, +) ?? localEvents
        let local = tensorParallelSeconds(program, costs: costs)
        var perRank = [Double](repeating: 0, count: timeline.rankEndSeconds.count)
        let pairs = try distributed?.allGather(local.indices.flatMap { [Double(program.wholeProgramRank($0)), local[$0]] })
            ?? local.indices.flatMap { [Double(program.wholeProgramRank($0)), local[$0]] }
        for pair in stride(from: 0, to: pairs.count, by: 2) { perRank[Int(pairs[pair])] = pairs[pair + 1] }
        let ranksRun = Double(perRank.count)
        let weights = perRank.indices.map { Double(program.weight(ofWholeProgramRank: $0)) }
        let tensorParallel = zip(perRank, weights).reduce(0) { $0 + $1.0 * $1.1 } / max(1, weights.reduce(0, +))
        if tensorParallel > 0 {
            breakdown.computeSeconds -= tensorParallel
            breakdown.exposedCommunicationSeconds[.tensorParallel] = tensorParallel
        }
        result.breakdown = breakdown
        result.ranksSimulated = cluster.gpuCount
        result.ranksRun = Int(ranksRun)
        result.events = Int(events)
        result.simulationWallSeconds = wallSeconds
        result.eventsPerSecond = events / max(wallSeconds, 1e-9)
        return Run(result: result, program: keepTimeline ? program : nil, timeline: keepTimeline ? timeline : nil)
    }

    /// The figures that follow from the step time: throughput, MFU, GPU-hours, days, cost and
    /// energy for `setup.tokensToTrain`, and the same with failures (``GoodputModel``).
    func fillStepFigures(_ result: inout SimulationResult, stepSeconds step: Double) {
        let gpus = Double(cluster.gpuCount)
        let peak = cluster.chip.bf16DenseTflops * 1e12
        let steps = setup.tokensToTrain / setup.tokensPerStep
        result.stepSeconds = step
        result.tokensPerSecondPerGpu = setup.tokensPerStep / step / gpus
        result.mfu = result.modelFlopsPerToken * setup.tokensPerStep / (step * gpus * peak)
        result.mfuCausal = result.modelFlopsPerTokenCausal * setup.tokensPerStep / (step * gpus * peak)
        result.tflopsPerGpu = result.modelFlopsPerToken * setup.tokensPerStep / (step * gpus) / 1e12
        result.gpuHoursPerTrillionTokens = gpus * step / setup.tokensPerStep * 1e12 / 3600
        result.trainDays = steps * step / 86400
        let gpuHours = gpus * steps * step / 3600
        result.gpuHours = gpuHours
        result.costUsd = gpuHours * cluster.usdPerGpuHour
        result.energyKwh = gpuHours * cluster.chip.tdpWatts * cluster.powerFractionOfTdp * cluster.powerUsageEffectiveness / 1000
        // Failures: a checkpoint holds BF16 weights, FP32 master weights and two FP32 Adam
        // moments, 14 bytes per parameter (main model and MTP).
        let checkpointBytes = 14 * Double(model.totalParameters + model.mtpModuleParameters)
        let goodput = GoodputModel.defaults(checkpointBytes: checkpointBytes)
            .estimate(idealSeconds: steps * step, gpus: cluster.gpuCount, nodes: cluster.nodes)
        result.goodput = goodput
        result.trainDaysWithFailures = goodput.wallSeconds / 86400
        result.gpuHoursWithFailures = gpus * goodput.wallSeconds / 3600
        result.costUsdWithFailures = gpus * goodput.wallSeconds / 3600 * cluster.usdPerGpuHour
    }

    /// The ranks the event simulation will run, at most: every rank, or when folding and every
    /// rank would be too many, one unit of lcm(ep, tp) columns per class of alike units (the
    /// fold may keep fewer). Clusters past 2²⁰ GPUs are never folded for this bound.
    func ranksToRun(folding: Bool, slowdown: [Double]) -> Int {
        let all = cluster.gpuCount
        guard folding, all <= 1 << 20, (try? checkProgramSize(ranks: all)) == nil else { return all }
        let layout = RankLayout(setup: setup, gpusPerNode: cluster.gpusPerNode)
        let cluster = self.cluster
        let fold = RankFold.exact(layout: layout, slowdown: slowdown, expertsAlike: false,
                                  distance: { cluster.distance(rank: layout.device(of: $0), rank: layout.device(of: $1)) })
        return fold.map { setup.pp * $0.keptColumns } ?? all
    }

    /// Per rank of `program`, the tensor-parallel collective seconds in its compute ops (the
    /// all-reduces, or reduce-scatters and all-gathers with sequence parallelism, the lowering
    /// folds into forward, backward and recomputed work).
    func tensorParallelSeconds(_ program: RankProgram, costs: OpCostModel) -> [Double] {
        guard setup.tp > 1, program.ranks > 0 else { return [Double](repeating: 0, count: program.ranks) }
        let work = program.work
        var perSegment = [Double](repeating: 0, count: work.segmentCount)
        for segment in 0..<work.segmentCount {
            var hidden = 0.0, gemms = 0.0
            for item in work.items(of: Int32(segment)) {
                let tensor = item.group == .tensor && item.kind.isCommunication
                if tensor && item.overlapped { hidden += costs.seconds(item, routes: program.routes); continue }
                if tensor { perSegment[segment] += costs.seconds(item, routes: program.routes) }
                if item.kind == .gemm || item.kind == .groupedGemm { gemms += costs.seconds(item, routes: program.routes) }
            }
            // Overlapped TP communication: only what outlasts the op's GEMMs (``OpCostModel/seconds(of:routes:)``).
            perSegment[segment] += max(0, hidden - gemms)
        }
        return (0..<program.ranks).map { rank in
            var total = 0.0
            for op in program.rankStart[rank]..<program.rankStart[rank + 1] where program.stream[op] == 0 && program.segment[op] >= 0 {
                total += perSegment[Int(program.segment[op])]
            }
            return total
        }
    }
}
