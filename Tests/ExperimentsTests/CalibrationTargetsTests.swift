import Config
import Experiments
import Foundation
import Testing
import Workload

/// `frugal calibrate --job`: what a job's train programs say to measure.
@Suite struct CalibrationTargetsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func job(_ name: String, ranks: Int) throws -> Job {
        var warnings = ConfigWarnings()
        return try Job(contentsOfFile: root + "/Cluster/jobs/\(name).toml", limits: JobLimits(ranks: ranks, availableMemoryBytes: nil),
                       warnings: &warnings)
    }

    /// The weight pool the GEMMs are timed over is the rank's FP32 weights. tiny-moe at pp = 1:
    /// embedding and head 2 · 512 · 256 = 262,144, final norm 256; per layer attention
    /// 2 · 256 (norms) + 256² (Q) + 2 · 256 · 128 (K, V) + 256² (O) = 197,120 (× 4 layers);
    /// the dense layer's FFN 3 · 256 · 512 = 393,216; each of the 3 MoE layers a router 256 · 8 =
    /// 2,048 and 9 experts (1 shared + 8 routed) of 3 · 256 · 128 = 98,304: 886,784. Total
    /// 4,104,448 parameters = 16,417,792 bytes, at 1 rank and at 2 (dp = 2 holds every weight).
    /// With pp = 2 (train-tiny) the larger stage's.
    @Test(arguments: [1, 2])
    func theWeightPoolIsTheRanksWeights(ranks: Int) throws {
        let targets = CalibrationTargets(job: try Self.job("train-predict", ranks: ranks), ranks: ranks)
        #expect(targets.weightBytes == 4 * 4_104_448)
        let pipelined = CalibrationTargets(job: try Self.job("train-tiny", ranks: 2), ranks: 2)
        #expect(pipelined.weightBytes > 0 && pipelined.weightBytes < targets.weightBytes)
        #expect(CalibrationTargets().weightBytes == 0)
    }

    /// train-predict at one rank: 256-token micro-batches (2 × 128) of tiny-moe (hidden 256, dense
    /// FFN 512, experts 128 wide, 8 experts top-2, vocabulary 512), everything in FP32.
    @Test func trainPredictAtOneRankMeasuresItsShapesAndKernels() throws {
        let targets = CalibrationTargets(job: try Self.job("train-predict", ranks: 1), ranks: 1)
        let shapes = Set(targets.gemmShapes.map { [$0.m, $0.n, $0.k] })
        // Attention projection, dense FFN up (gated, 2 × 512) and down, its weight gradient,
        // the gate (8 experts), an expert's up projection (64 rows = 256 · 2 / 8), the head.
        for shape in [[256, 256, 256], [256, 1024, 256], [256, 256, 512], [512, 256, 256], [256, 8, 256], [64, 256, 256], [256, 512, 256]] {
            #expect(shapes.contains(shape), "\(shape)")
        }
        #expect(targets.gemmShapes == targets.gemmShapes.sorted() && targets.gemmShapes.count <= CalibrationTargets.maxGemmShapes)
        let attention = try #require(targets.attention.first)
        #expect(targets.attention.count == 1)
        #expect(attention.shape.batch == 2 && attention.shape.sequence == 128 && attention.shape.heads == 8 && attention.shape.kvHeads == 4
                && attention.shape.headDim == 32)
        // Causal core FLOPs: 256 tokens × 2 · (129 / 2) keys · 8 heads · (32 + 32); backward 2.5×.
        #expect(abs(attention.forwardFlops - 256 * 2 * 64.5 * 8 * 64) < 1e-6)
        #expect(abs(attention.backwardFlops - 2.5 * attention.forwardFlops) < 1e-6)
        let kinds = targets.memoryKernels.map(\.kind)
        #expect(kinds == [.rmsNorm, .swiglu, .crossEntropy, .adamW])
        #expect(targets.memoryKernels[0].programBytes == 2 * 4 * 256 * 256)
        // SwiGLU over the dense FFN (512 wide) of a 256-token micro-batch: 3 elements of 4 bytes
        // forward, twice that backward.
        #expect(targets.memoryKernels[1].rows == 256 && targets.memoryKernels[1].width == 512
                && targets.memoryKernels[1].programBytes == 9 * 4 * 256 * 512)
        #expect(targets.memoryKernels[2].rows == 256 && targets.memoryKernels[2].width == 512
                && targets.memoryKernels[2].programBytes == 256 * 512 * 4 * 3)
        // One rank: no collectives.
        #expect(targets.pointToPointBytes.isEmpty && targets.allToAllBytes.isEmpty && targets.reduceScatterBytes.isEmpty)
    }

    /// At two ranks (dp = 2, ZeRO-1): the gradient reduce-scatter and the parameter all-gather,
    /// both of FP32 parameters; train-tiny (pp = 2) adds its pipeline transfers: a 64-token
    /// micro-batch's activations, 64 × 256 × 4 bytes.
    @Test func collectivesAreThePrograms() throws {
        let dataParallel = CalibrationTargets(job: try Self.job("train-predict", ranks: 2), ranks: 2)
        #expect(!dataParallel.reduceScatterBytes.isEmpty && dataParallel.reduceScatterBytes == dataParallel.allGatherBytes)
        #expect(dataParallel.pointToPointBytes.isEmpty && dataParallel.allToAllBytes.isEmpty)
        let pipeline = CalibrationTargets(job: try Self.job("train-tiny", ranks: 2), ranks: 2)
        #expect(pipeline.pointToPointBytes == [64 * 256 * 4])
        #expect(CalibrationTargets(job: try Self.job("demo", ranks: 2), ranks: 2).isEmpty)
    }
}
