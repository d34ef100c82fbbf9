import Program
import Hardware
import Workload

/// Durations of single kernels on one GPU: GEMMs from peak × efficiency(size) (the curve) or from
/// their shape's tiles and waves (``GemmTiling``, as the software profile says), bounded below by
/// their memory traffic (roofline), attention from its FLOPs at the attention kernel's efficiency
/// (its family by the software profile), memory-bound kernels from bytes at the achievable
/// bandwidth. Compute kernels run on the SMs left after `communicationSMs` are reserved.
public struct KernelCostModel: Sendable {
    /// The chip.
    public let chip: Chip
    /// GEMM precision.
    public let precision: TrainingPrecision
    /// Fraction of SMs left to compute kernels.
    public let computeFraction: Double
    /// SMs left to compute kernels.
    public let computeSMs: Int
    /// The software stack (GEMM timing, attention kernel, launch cost).
    public let software: SoftwareProfile

    public init(chip: Chip, precision: TrainingPrecision, communicationSMs: Int, software: SoftwareProfile = .deepseekV3) {
        self.chip = chip
        self.precision = precision
        self.software = software
        computeSMs = max(1, chip.streamingMultiprocessors - communicationSMs)
        computeFraction = Double(computeSMs) / Double(chip.streamingMultiprocessors)
    }

    /// Bytes per element of GEMM operands at this precision.
    public var gemmOperandBytes: Double { precision == .fp8 ? 1 : precision.elementBytes }

    /// Seconds for an m×n×k GEMM (2·m·n·k FLOPs), at the curve's efficiency × the stack's
    /// ``SoftwareProfile/kernelFraction`` (or from its tiles), bounded below by its memory traffic.
    public func gemmSeconds(m: Double, n: Double, k: Double) -> Double {
        guard m > 0, n > 0, k > 0 else { return 0 }
        if software.gemm == .tiles, let tiling = chip.tiling { return tiledGemmSeconds(m: m, n: n, k: k, count: 1, tiling: tiling) }
        let flops = 2 * m * n * k
        var efficiency = chip.efficiency.efficiency(flops: flops) * software.kernelFraction
        var peak = chip.bf16DenseTflops
        if precision == .fp8, let fp8 = chip.fp8DenseTflops {
            peak = fp8
            efficiency *= chip.efficiency.fp8EfficiencyScale
        }
        if precision == .fp32 { peak = chip.fp32Tflops }
        let computeSeconds = flops / (peak * 1e12 * efficiency * computeFraction)
        let bytes = (m * k + k * n) * gemmOperandBytes + m * n * precision.elementBytes
        let memorySeconds = bytes / (chip.memoryGbPerSecond * 1e9 * chip.efficiency.memoryEfficiency)
        return max(computeSeconds, memorySeconds)
    }

    /// `count` m×n×k GEMMs run as one kernel (a grouped or batched GEMM), timed from their tiles
    /// when the software profile says so and the chip has `[tiles]`, else `count` curve GEMMs.
    public func gemmSeconds(m: Double, n: Double, k: Double, count: Double) -> Double {
        guard m > 0, n > 0, k > 0, count > 0 else { return 0 }
        if software.gemm == .tiles, let tiling = chip.tiling { return tiledGemmSeconds(m: m, n: n, k: k, count: count, tiling: tiling) }
        return count * gemmSeconds(m: m, n: n, k: k)
    }

    /// `count` m×n×k GEMMs in one kernel from their tiles and waves on the compute SMs
    /// (``GemmTiling/computeSeconds(m:n:k:count:sms:perSmFlopsPerSecond:efficiency:)``: per-SM
    /// peak = the dense peak ÷ all SMs) at the chip's efficiency × its fitted `trainingFraction` ×
    /// the stack's ``SoftwareProfile/kernelFraction``, bounded below by their memory traffic.
    func tiledGemmSeconds(m: Double, n: Double, k: Double, count: Double, tiling: GemmTiling) -> Double {
        var peak = chip.bf16DenseTflops, efficiency = tiling.bf16Efficiency
        if precision == .fp8, let fp8 = chip.fp8DenseTflops {
            peak = fp8
            efficiency = tiling.fp8Efficiency ?? efficiency
        }
        if precision == .fp32 { peak = chip.fp32Tflops }
        let perSm = peak * 1e12 / Double(chip.streamingMultiprocessors)
        let compute = tiling.computeSeconds(m: m, n: n, k: k, count: count, sms: computeSMs, perSmFlopsPerSecond: perSm,
                                            efficiency: efficiency * tiling.trainingFraction * software.kernelFraction)
        let bytes = count * ((m * k + k * n) * gemmOperandBytes + m * n * precision.elementBytes)
        return max(compute, memorySeconds(bytes: bytes))
    }

    /// A GEMM of `flops` on the efficiency curve alone, at the BF16 peak: how `frugal calibrate`
    /// fits the curve to the runtime's FP32 GEMMs, so how a job's GEMMs are predicted.
    public func calibratedGemmSeconds(flops: Double) -> Double {
        GemmSpeed(chip: chip).seconds(flops: flops)
    }

    /// An m×n×k GEMM as ``calibratedGemmSeconds(flops:)`` costs it, at its measured shape's
    /// efficiency where `frugal calibrate --job` measured that shape.
    public func calibratedGemmSeconds(m: Double, n: Double, k: Double) -> Double {
        GemmSpeed(chip: chip).seconds(m: m, n: n, k: k)
    }

    /// The three GEMMs of a linear layer `y = x·W` (`W`: `inputs × outputs`) over `tokens` rows:
    /// forward `x·W`, input gradient `dy·Wᵀ`, weight gradient `xᵀ·dy`.
    public func linearLayerSeconds(tokens: Double, inputs: Double, outputs: Double) -> (forward: Double, backward: Double, weight: Double) {
        (gemmSeconds(m: tokens, n: outputs, k: inputs), gemmSeconds(m: tokens, n: inputs, k: outputs),
         gemmSeconds(m: inputs, n: outputs, k: tokens))
    }

    /// Seconds of a fused attention kernel doing `flops` (forward or backward), at the efficiency
    /// of the software profile's attention family on this chip (``attentionEfficiency(backward:)``).
    public func attentionSeconds(flops: Double, backward: Bool) -> Double {
        flops / (chip.bf16DenseTflops * 1e12 * attentionEfficiency(backward: backward) * computeFraction)
    }

    /// The fraction of the BF16 peak the profile's attention kernel reaches: FlashAttention-3's
    /// figures where asked and the chip has them, else FlashAttention-2's where asked (or as
    /// FlashAttention-3's stand-in) and present, else the chip's calibrated efficiencies; times
    /// the stack's ``SoftwareProfile/kernelFraction``.
    /// (An unfused attention is lowered to GEMMs and a softmax, not costed here.)
    public func attentionEfficiency(backward: Bool) -> Double {
        let kernels = chip.attentionKernels
        var pass: AttentionKernelEfficiencies.Pass?
        switch software.attention {
        case .flash3: pass = kernels.flash3 ?? kernels.flash2
        case .flash2: pass = kernels.flash2
        case .calibrated, .unfused: pass = nil
        }
        let kernel = pass.map { backward ? $0.backward : $0.forward }
            ?? (backward ? chip.efficiency.attentionBackwardEfficiency : chip.efficiency.attentionForwardEfficiency)
        return kernel * software.kernelFraction
    }

    /// Seconds of memory-bound kernels moving `bytes`.
    /// Kernels of a `family` measured apart run at that family's fraction of the bandwidth
    /// (``GemmEfficiencyCurve/memoryKernelEfficiency``), the others at the common one.
    public func memorySeconds(bytes: Double, family: MemoryKernelFamily? = nil) -> Double {
        bytes / (chip.memoryGbPerSecond * 1e9 * chip.efficiency.memoryEfficiency(of: family))
    }

    /// The family a memory-bound work item's kernel belongs to (nil: none measured apart).
    public static func memoryFamily(of item: WorkItem) -> MemoryKernelFamily? {
        if item.kind == .optimizerUpdate { return .optimizer }
        switch item.elementwise {
        case .norm: return .norm
        case .swiglu: return .activation
        case .loss: return .loss
        default: return nil
        }
    }
}
