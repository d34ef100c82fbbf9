import Program
import Workload

extension TrainingSimulator {
    /// The largest values the simulator accepts (docs/simulate.md, "Bounds of simulate flags"):
    /// beyond them a step is not a training step any more, or its program would not fit in memory or in `Int32` op indices.
    public enum Limits {
        // The bounds a training file has (``WorkloadBounds``), for the flags that set the same values.
        /// Tokens per sequence.
        public static let sequenceLength = WorkloadBounds.sequenceLength.upperBound
        /// Sequences per step.
        public static let globalBatchSequences = WorkloadBounds.batchSequences.upperBound
        /// Tokens of the whole run.
        public static let tokensToTrain = WorkloadBounds.tokensToTrain.upperBound
        /// Compute slowdown of a straggler rank.
        public static let slowdown = WorkloadBounds.slowdown.upperBound
        /// σ of the log-normal per-rank slowdown.
        public static let stragglerSigma = WorkloadBounds.logNormalSigma.upperBound
        /// Zipf exponent of the expert load.
        public static let zipfExponent = WorkloadBounds.zipfExponent.upperBound
        /// Transformer blocks (layers and MTP modules) of a model.
        public static let blocks = 1 << 20
        /// Ranks × micro-batches × blocks per rank (×2 for DualPipe's two directions): about 8 ops
        /// each, so 2^24 is ≈ 130 M ops (≈ 8 GB), 17× the DeepSeek-V3 reference step.
        public static let stepWorkUnits = 1 << 24
    }

    /// The model's blocks (layers and MTP modules), saturating instead of overflowing.
    public static func blocks(of model: TransformerModel) -> Int {
        let sum = model.layers.addingReportingOverflow(model.mtpModules)
        return sum.overflow ? Int.max : sum.partialValue
    }

    /// Checks every number of the setup against the cluster and ``Limits`` before any of them is
    /// multiplied, so no product overflows; the error names the setting and the bound.
    func checkBounds() throws(SimulationError) {
        try check("the model's layers + mtpModules", Self.blocks(of: model), 1...Limits.blocks)
        let gpus = cluster.gpuCount
        guard gpus >= 1 else { throw SimulationError("the cluster has no GPUs (gpuCount = \(gpus))") }
        for (name, value) in [("tp", setup.tp), ("cp", setup.cp), ("pp", setup.pp), ("ep", setup.ep), ("dp", setup.dp)]
        where !(1...gpus).contains(value) {
            throw SimulationError("parallel degree \(name)=\(value) is outside 1...\(gpus) (the cluster's GPUs)")
        }
        let product = setup.tp.multipliedReportingOverflow(by: setup.pp)
        let withContext = product.partialValue.multipliedReportingOverflow(by: setup.cp)
        let total = withContext.partialValue.multipliedReportingOverflow(by: setup.dp)
        guard !product.overflow, !withContext.overflow, !total.overflow else {   // equality, with its hint, is the setup's own check
            throw SimulationError("tp×cp×pp×dp = \(setup.tp)×\(setup.cp)×\(setup.pp)×\(setup.dp) overflows: it must equal the cluster's \(gpus) GPUs")
        }
        try check("sequenceLength", setup.sequenceLength, 1...Limits.sequenceLength)
        try check("globalBatchSequences", setup.globalBatchSequences, 1...Limits.globalBatchSequences)
        try check("microBatchSequences", setup.microBatchSequences, 1...setup.globalBatchSequences)
        let blocks = Self.blocks(of: model)
        if setup.schedule == .interleaved { try check("virtualStages", setup.virtualStages, 2...max(2, blocks)) }
        guard setup.tokensToTrain.isFinite, (1...Limits.tokensToTrain).contains(setup.tokensToTrain) else {
            throw SimulationError("tokensToTrain = \(setup.tokensToTrain) is outside 1...\(Limits.tokensToTrain)")
        }
        let stragglers = setup.stragglers
        guard stragglers.slowdown.isFinite, (1...Limits.slowdown).contains(stragglers.slowdown) else {
            throw SimulationError("straggler slowdown = \(stragglers.slowdown) is outside 1...\(Limits.slowdown)")
        }
        guard stragglers.logNormalSigma.isFinite, (0...Limits.stragglerSigma).contains(stragglers.logNormalSigma) else {
            throw SimulationError("straggler sigma = \(stragglers.logNormalSigma) is outside 0...\(Limits.stragglerSigma)")
        }
        if case .zipf(let exponent) = setup.expertLoad, !(exponent.isFinite && exponent > 0 && exponent <= Limits.zipfExponent) {
            throw SimulationError("expert load zipf(\(exponent)): the exponent must be in (0, \(Limits.zipfExponent)]")
        }
        try check("communicationSMs", setup.communicationSMs, 0...Int.max)
    }

    /// The size of the step's program in ranks × micro-batches × blocks per rank; an error past
    /// ``Limits/stepWorkUnits`` (called after the setup's own checks, so micro-batches ≥ 1).
    public func checkProgramSize(ranks: Int) throws(SimulationError) {
        let blocksPerRank = (Self.blocks(of: model) + setup.pp - 1) / setup.pp
        let directions = setup.schedule == .dualpipe ? 2 : 1
        var units = ranks.multipliedReportingOverflow(by: max(1, setup.microBatches))
        if !units.overflow { units = units.partialValue.multipliedReportingOverflow(by: max(1, blocksPerRank) * directions) }
        guard !units.overflow, units.partialValue <= Limits.stepWorkUnits else {
            throw SimulationError("the step is too large to simulate: \(ranks) ranks to run × \(setup.microBatches) micro-batches × \(blocksPerRank) blocks per rank"
                                  + "\(directions > 1 ? " × 2 directions" : "") exceeds \(Limits.stepWorkUnits): lower the global batch or raise the micro-batch size")
        }
    }

    private func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws(SimulationError) {
        guard range.contains(value) else {
            throw SimulationError("\(name) = \(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
    }
}
