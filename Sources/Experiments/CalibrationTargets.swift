import Foundation
import Kernels
import Program
import Workload

/// What `frugal calibrate --job` measures: the work the job's `train` tasks' programs
/// (``JobLowering``, at the run's rank count) are made of, instead of a fixed set — their GEMM
/// shapes, their attention kernels, the memory-bound kernels at their sizes, and the byte counts
/// of their pipeline transfers, all-to-alls and gradient collectives.
public struct CalibrationTargets: Sendable, Equatable {
    /// One GEMM shape of the programs (m × n × k, as the work items say).
    public struct GemmShape: Sendable, Hashable, Comparable {
        public var m: Int, n: Int, k: Int
        public init(m: Int, n: Int, k: Int) {
            self.m = m
            self.n = n
            self.k = k
        }
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
        public static func < (a: GemmShape, b: GemmShape) -> Bool { (a.flops, a.m, a.n) < (b.flops, b.m, b.n) }
    }

    /// One attention kernel: its shape and the FLOPs the program counts for it (forward, backward).
    public struct Attention: Sendable, Equatable {
        public var shape: AttentionShape
        public var forwardFlops: Double
        public var backwardFlops: Double
    }

    /// A memory-bound kernel at the program's size, and the bytes the program counts for it.
    public struct MemoryKernel: Sendable, Equatable {
        public enum Kind: String, Sendable { case rmsNorm, crossEntropy, adamW, swiglu }
        public var kind: Kind
        /// rows × width (AdamW: elements × 1).
        public var rows: Int, width: Int
        public var programBytes: Double
    }

    public var gemmShapes: [GemmShape] = []
    public var attention: [Attention] = []
    public var memoryKernels: [MemoryKernel] = []
    /// Distinct byte counts, increasing: pipeline transfers, MoE all-to-alls (a rank's rows),
    /// gradient reduce-scatters / all-reduces, parameter all-gathers.
    public var pointToPointBytes: [Int] = []
    public var allToAllBytes: [Int] = []
    public var reduceScatterBytes: [Int] = []
    public var allGatherBytes: [Int] = []
    /// The most FP32 weight bytes one rank of the programs holds: what a step reads between two
    /// uses of one weight matrix, so that its GEMMs find their weights where a step does (the
    /// GEMMs are timed with B drawn in turn from a pool this large, ``Calibrator``).
    public var weightBytes = 0

    /// The most GEMM shapes measured (the largest by FLOPs are kept).
    public static let maxGemmShapes = 64

    public init() {}

    /// The targets of `job`'s train tasks on `ranks` ranks (empty when it has none).
    public init(job: Job, ranks: Int) {
        let lowering = JobLowering(ranks: ranks)
        var shapes = Set<GemmShape>()
        var p2p = Set<Int>(), allToAll = Set<Int>(), reduce = Set<Int>(), gather = Set<Int>()
        for case .train(let task) in job.tasks {
            let program = lowering.lower(.train(task))
            for item in program.work.items {
                switch item.kind {
                case .gemm, .groupedGemm, .gate:
                    if let m = Self.count(item.m), let n = Self.count(item.n), let k = Self.count(item.k) { shapes.insert(GemmShape(m: m, n: n, k: k)) }
                case .dispatch, .combine: Self.count(item.bytes).map { _ = allToAll.insert($0) }
                case .reduceScatter, .allReduce: Self.count(item.bytes).map { _ = reduce.insert($0) }
                case .allGather: Self.count(item.bytes).map { _ = gather.insert($0) }
                default: break
                }
            }
            for op in 0..<program.count where program.remoteDependency[op] >= 0 {
                Self.count(Double(program.transferBytes[op])).map { _ = p2p.insert($0) }
            }
            add(task, program: program)
            let training = TrainingLowering(model: task.model, setup: task.setup, gpusPerNode: ranks)
            let held = training.parameters.perStage.map(\.total).max() ?? 0
            if held.isFinite, held > 0 { weightBytes = max(weightBytes, Int(min(held * 4, Double(1 << 40)))) }
        }
        gemmShapes = Array(shapes.sorted().suffix(Self.maxGemmShapes))
        pointToPointBytes = p2p.sorted()
        allToAllBytes = allToAll.sorted()
        reduceScatterBytes = reduce.sorted()
        allGatherBytes = gather.sorted()
    }

    /// Whether there is anything to measure.
    public var isEmpty: Bool { gemmShapes.isEmpty && attention.isEmpty && memoryKernels.isEmpty }

    /// The attention kernel and memory-bound kernels of `task`, with the program's counts.
    private mutating func add(_ task: TrainTask, program: RankProgram) {
        let setup = task.setup, model = task.model
        let tokens = setup.microBatchSequences * setup.sequenceLength
        let items = program.work.items
        if let forward = items.first(where: { $0.kind == .attentionForward }), let backward = items.first(where: { $0.kind == .attentionBackward }) {
            let shape = AttentionShape(batch: setup.microBatchSequences, sequence: setup.sequenceLength, heads: model.attention.heads,
                                       kvHeads: model.attention.kvHeads, headDim: model.attention.headDim)
            let entry = Attention(shape: shape, forwardFlops: forward.flops, backwardFlops: backward.flops)
            if !attention.contains(entry) { attention.append(entry) }
        }
        let elementBytes = setup.precision.elementBytes
        var kernels = [MemoryKernel(kind: .rmsNorm, rows: tokens, width: model.hidden,
                                    programBytes: 2 * elementBytes * Double(tokens) * Double(model.hidden))]
        // The FFN activation over one micro-batch of the dense FFN (else of the experts' rows):
        // forward and backward, as the program counts them (3 elements each, backward twice).
        if items.contains(where: { $0.kind == .elementwise && $0.elementwise == .swiglu }) {
            let dense = model.moe.map { $0.leadingDenseLayers > 0 } ?? true
            let rows = dense ? tokens : tokens * ((model.moe?.topK ?? 1) + (model.moe?.sharedExperts ?? 0))
            let width = dense ? model.denseFfnWidth : (model.moe?.expertFfnWidth ?? model.denseFfnWidth)
            kernels.append(MemoryKernel(kind: .swiglu, rows: rows, width: width,
                                        programBytes: 3 * 3 * elementBytes * Double(rows) * Double(width)))
        }
        if let loss = items.first(where: { $0.kind == .elementwise && $0.elementwise == .loss }) {
            kernels.append(MemoryKernel(kind: .crossEntropy, rows: tokens, width: model.vocabulary, programBytes: loss.bytes))
        }
        if let update = items.filter({ $0.kind == .optimizerUpdate }).max(by: { $0.bytes < $1.bytes }),
           let elements = Self.count(update.bytes / TrainingLowering.optimizerBytesPerParameter) {
            kernels.append(MemoryKernel(kind: .adamW, rows: elements, width: 1, programBytes: update.bytes))
        }
        for kernel in kernels where !memoryKernels.contains(kernel) { memoryKernels.append(kernel) }
    }

    /// A positive whole count within an MPI count, or nil.
    static func count(_ value: Double) -> Int? {
        guard value.isFinite, value >= 1, value <= Double(Int32.max) else { return nil }
        return Int(value.rounded())
    }
}
