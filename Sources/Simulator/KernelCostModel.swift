import Program
import Hardware
import Workload

/// Durations of single kernels on one GPU: GEMMs from peak × efficiency(size) bounded below by
/// their memory traffic (roofline), attention from its FLOPs at the attention-kernel efficiency,
/// memory-bound kernels from bytes at the achievable bandwidth. Compute kernels run on the SMs
/// left after `communicationSMs` are reserved.
public struct KernelCostModel: Sendable {
    /// The chip.
    public let chip: Chip
    /// GEMM precision.
    public let precision: TrainingPrecision
    /// Fraction of SMs left to compute kernels.
    public let computeFraction: Double

    public init(chip: Chip, precision: TrainingPrecision, communicationSMs: Int) {
        self.chip = chip
        self.precision = precision
        computeFraction = Double(max(1, chip.streamingMultiprocessors - communicationSMs)) / Double(chip.streamingMultiprocessors)
    }

    /// Bytes per element of GEMM operands at this precision.
    public var gemmOperandBytes: Double { precision == .fp8 ? 1 : precision.elementBytes }

    /// Seconds for an m×n×k GEMM (2·m·n·k FLOPs).
    public func gemmSeconds(m: Double, n: Double, k: Double) -> Double {
        guard m > 0, n > 0, k > 0 else { return 0 }
        let flops = 2 * m * n * k
        var efficiency = chip.efficiency.efficiency(flops: flops)
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

    /// Seconds of an attention kernel doing `flops` (forward or backward).
    public func attentionSeconds(flops: Double, backward: Bool) -> Double {
        let efficiency = backward ? chip.efficiency.attentionBackwardEfficiency : chip.efficiency.attentionForwardEfficiency
        return flops / (chip.bf16DenseTflops * 1e12 * efficiency * computeFraction)
    }

    /// Seconds of memory-bound kernels moving `bytes`.
    public func memorySeconds(bytes: Double) -> Double {
        bytes / (chip.memoryGbPerSecond * 1e9 * chip.efficiency.memoryEfficiency)
    }
}
