import Foundation
import Hardware
import Program
import Simulator
import Testing
import Workload

/// Kernel time by software profile: the tiled GEMM, attention families, launch cost.
struct KernelCostModelTests {
    /// The chip of a shipped cluster (h100-2048: H100; a800-2048: A800).
    static func chip(_ cluster: String) throws -> Chip {
        try Fixtures.cluster(cluster).chip
    }

    static let tiles = SoftwareProfile(gemm: .tiles, attention: .flash3, fusedElementwise: true, kernelLaunchSeconds: 0)

    @Test func tiledGemmOnH100IsFourWavesOf128x256Tiles() throws {
        let chip = try Self.chip("h100-2048")
        let kernels = KernelCostModel(chip: chip, precision: .bf16, communicationSMs: 0, software: Self.tiles)
        // 4096³: 512 tiles of 128×256 on 132 SMs = 3.88 → 4 waves; one tile 2·128·256·4096 FLOPs at
        // 989 TFLOPS / 132 SMs × 0.803 (H100's MAMF efficiency). Memory (3·4096²·2 bytes at
        // 3350 GB/s × 0.8 = 38 µs) is below the 178 µs of compute.
        let tile = 2.0 * 128 * 256 * 4096 / (989e12 / 132 * 0.803)
        #expect(abs(kernels.gemmSeconds(m: 4096, n: 4096, k: 4096) / (4 * tile) - 1) < 1e-12)
        // 20 SMs for communication: 112 left, 512 / 112 = 4.57 → 5 waves.
        let reserved = KernelCostModel(chip: chip, precision: .bf16, communicationSMs: 20, software: Self.tiles)
        #expect(abs(reserved.gemmSeconds(m: 4096, n: 4096, k: 4096) / (5 * tile) - 1) < 1e-12)
        // A training fraction of 0.5 halves the per-SM rate: each wave takes twice as long.
        var halved = chip
        halved.tiling?.trainingFraction = 0.5
        let slow = KernelCostModel(chip: halved, precision: .bf16, communicationSMs: 0, software: Self.tiles)
        #expect(abs(slow.gemmSeconds(m: 4096, n: 4096, k: 4096) / (8 * tile) - 1) < 1e-12)
        // The default profile keeps the curve: 137 GFLOP at 0.75 of the peak (× 132/132).
        let curve = KernelCostModel(chip: chip, precision: .bf16, communicationSMs: 0)
        #expect(abs(curve.gemmSeconds(m: 4096, n: 4096, k: 4096) / (2 * pow(4096.0, 3) / (989e12 * 0.75)) - 1) < 1e-12)
        // The calibrated job path is unchanged by the profile.
        #expect(kernels.calibratedGemmSeconds(m: 4096, n: 4096, k: 4096) == curve.calibratedGemmSeconds(m: 4096, n: 4096, k: 4096))
    }

    @Test func attentionFamiliesTakeTheChipsFigures() throws {
        let h100 = try Self.chip("h100-2048"), a800 = try Self.chip("a800-2048")
        func efficiency(_ chip: Chip, _ kernel: SoftwareProfile.AttentionKernel, backward: Bool = false) -> Double {
            KernelCostModel(chip: chip, precision: .bf16, communicationSMs: 0,
                            software: SoftwareProfile(gemm: .curve, attention: kernel, fusedElementwise: true, kernelLaunchSeconds: 0))
                .attentionEfficiency(backward: backward)
        }
        #expect(efficiency(h100, .flash3) == 0.75 && efficiency(h100, .flash3, backward: true) == 0.48)
        #expect(efficiency(h100, .flash2) == 0.35)
        #expect(efficiency(h100, .calibrated) == 0.60)
        // FlashAttention-3 is Hopper-only: an A800 runs FlashAttention-2's 0.65.
        #expect(efficiency(a800, .flash3) == 0.65 && efficiency(a800, .flash2, backward: true) == 0.55)
        // 1 TFLOP forward on an H100 at FlashAttention-3: 1e12 / (989e12 · 0.75) s.
        let kernels = KernelCostModel(chip: h100, precision: .bf16, communicationSMs: 0, software: Self.tiles)
        #expect(abs(kernels.attentionSeconds(flops: 1e12, backward: false) / (1e12 / (989e12 * 0.75)) - 1) < 1e-12)
    }

    /// A stack's kernel fraction scales every compute kernel's efficiency — tiled and curve GEMMs,
    /// fused attention — and nothing memory-bound.
    @Test func kernelFractionScalesComputeKernelsOnly() throws {
        let chip = try Self.chip("h100-2048")
        var stack = Self.tiles
        stack.kernelFraction = 0.65
        let kernels = KernelCostModel(chip: chip, precision: .bf16, communicationSMs: 0, software: stack)
        // 4096³ from its tiles: 4 waves of 2·128·256·4096 FLOPs at 989/132 TFLOPS × 0.803 × 0.65.
        let tile = 2.0 * 128 * 256 * 4096 / (989e12 / 132 * 0.803 * 0.65)
        #expect(abs(kernels.gemmSeconds(m: 4096, n: 4096, k: 4096) / (4 * tile) - 1) < 1e-12)
        // On the curve: 137 GFLOP at 0.75 × 0.65 of the peak.
        var curveStack = SoftwareProfile.deepseekV3
        curveStack.kernelFraction = 0.65
        let curve = KernelCostModel(chip: chip, precision: .bf16, communicationSMs: 0, software: curveStack)
        #expect(abs(curve.gemmSeconds(m: 4096, n: 4096, k: 4096) / (2 * pow(4096.0, 3) / (989e12 * 0.75 * 0.65)) - 1) < 1e-12)
        // FlashAttention-3 forward: 0.75 × 0.65; backward 0.48 × 0.65.
        #expect(abs(kernels.attentionEfficiency(backward: false) - 0.75 * 0.65) < 1e-15)
        #expect(abs(kernels.attentionEfficiency(backward: true) - 0.48 * 0.65) < 1e-15)
        // A memory-bound kernel keeps the bandwidth: 1 MB at 3350 GB/s × 0.8.
        #expect(abs(kernels.memorySeconds(bytes: 1e6) - 1e6 / (3350e9 * 0.8)) < 1e-18)
        // FP8 from its tiles: 4 waves at 1979/132 TFLOPS × 0.709 (H100's FP8 MAMF) × 0.65.
        let fp8 = KernelCostModel(chip: chip, precision: .fp8, communicationSMs: 0, software: stack)
        let fp8Tile = 2.0 * 128 * 256 * 4096 / (1979e12 / 132 * 0.709 * 0.65)
        #expect(abs(fp8.gemmSeconds(m: 4096, n: 4096, k: 4096) / (4 * fp8Tile) - 1) < 1e-12)
        // A grouped GEMM of two shares waves: 1024 tiles on 132 SMs = 7.76 → 8 waves, each scaled alike.
        #expect(abs(kernels.gemmSeconds(m: 4096, n: 4096, k: 4096, count: 2) / (8 * tile) - 1) < 1e-12)
        // The launch cost is added after, unscaled: a 5 µs launch on the BF16 GEMM above.
        var launching = stack
        launching.kernelLaunchSeconds = 5e-6
        let costs = OpCostModel(kernels: KernelCostModel(chip: chip, precision: .bf16, communicationSMs: 0, software: launching),
                                collectives: CollectiveCostModel(cluster: try Fixtures.cluster("h100-2048")))
        let item = WorkItem.gemm(4096, 4096, 4096, precision: .bf16, repeats: 1)
        #expect(abs(costs.seconds(item, routes: []) - (4 * tile + 5e-6)) < 1e-12)
        // A curve GEMM bound by its memory traffic stays there: 1×4096×4096 reads 32 MiB of weights,
        // 12.5 µs at the bandwidth, against < 1 µs of compute even at 0.65.
        let thin = curve.gemmSeconds(m: 1, n: 4096, k: 4096)
        #expect(abs(thin - (4096.0 + 4096 * 4096 + 4096) * 2 / (3350e9 * 0.8)) < 1e-15)
    }

    @Test func launchCostIsAddedPerComputeKernelOnly() throws {
        let cluster = try Fixtures.cluster("h100-2048")
        var setup = TrainingSetup()
        setup.software.kernelLaunchSeconds = 5e-6
        let costs = OpCostModel(cluster: cluster, setup: setup)
        var plain = TrainingSetup()
        plain.software.kernelLaunchSeconds = 0
        let base = OpCostModel(cluster: cluster, setup: plain)
        let norm = WorkItem.memory(.norm, bytes: 1e6)
        // A 1 MB norm: 1e6 / (3350e9 · 0.8) s, plus 5 µs.
        #expect(abs(costs.seconds(norm, routes: []) - base.seconds(norm, routes: []) - 5e-6) < 1e-15)
        let gemm = WorkItem.gemm(1024, 1024, 1024, precision: .bf16, repeats: 4)
        // A batched GEMM of 4 is one kernel: one launch.
        #expect(abs(costs.seconds(gemm, routes: []) - base.seconds(gemm, routes: []) - 5e-6) < 1e-15)
        let reduce = WorkItem.collective(.allReduce, group: .data, bytes: 1e6, ranksPerNode: 8, nodes: 1)
        #expect(costs.seconds(reduce, routes: []) == base.seconds(reduce, routes: []))
    }

    @Test func profilesChangeADenseStepButNotTheDefault() throws {
        let cluster = try Fixtures.cluster("h100-2048"), model = try Fixtures.model("llama3-70b")
        var setup = TrainingSetup()
        try setup.applyParallel("tp=8,pp=8,dp=32")
        setup.globalBatchSequences = 1024
        func step(_ profile: SoftwareProfile) throws -> Double {
            var copy = setup
            copy.software = profile
            return try #require(try TrainingSimulator(model: model, setup: copy, cluster: cluster).run().result.stepSeconds)
        }
        let base = try step(.deepseekV3)
        #expect(try step(SoftwareProfile.named(.deepseekV3)) == base)
        // Unfused attention over 4K tokens and unfused elementwise work are slower than fused.
        let eager = try step(.named(.pytorchEager)), core = try step(.named(.megatronCore2024))
        #expect(eager > core, "eager \(eager) core \(core)")
    }

    /// Memory-bound items by family: a norm, an activation, the loss and the optimizer at their
    /// measured fractions of the bandwidth; residual adds and permutations at the common one.
    @Test func memoryBoundItemsTakeTheirFamilysRate() throws {
        var chip = try Self.chip("h100-2048")
        chip.efficiency.memoryEfficiency = 0.8
        chip.efficiency.memoryKernelEfficiency = [.norm: 0.4, .activation: 0.1]
        let kernels = KernelCostModel(chip: chip, precision: .bf16, communicationSMs: 0)
        let costs = OpCostModel(kernels: kernels, collectives: CollectiveCostModel(cluster: try Fixtures.cluster("h100-2048")))
        // 3.35e12 bytes at 3350 GB/s: 1 s at full bandwidth; norm at 0.4 → 2.5 s, SwiGLU at 0.1 → 10 s,
        // a residual add and an optimizer update at the common 0.8 → 1.25 s.
        let bytes = 3.35e12
        let expected: [(ElementwiseKind, Double)] = [(.norm, 2.5), (.swiglu, 10), (.residual, 1.25), (.permute, 1.25)]
        for (kind, seconds) in expected {
            let item = WorkItem.memory(kind, bytes: bytes, layer: 0)
            #expect(abs(costs.seconds(item, routes: []) / seconds - 1) < 1e-12, "\(kind)")
        }
        var update = WorkItem(kind: .optimizerUpdate)
        update.bytes = bytes
        #expect(KernelCostModel.memoryFamily(of: update) == .optimizer)
        #expect(abs(costs.seconds(update, routes: []) / 1.25 - 1) < 1e-12)
    }
}
