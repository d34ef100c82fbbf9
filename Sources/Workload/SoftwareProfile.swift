/// The software stack a training run used, as far as it decides kernel time: how GEMMs are timed,
/// which attention kernel runs, whether elementwise chains are fused, and what each kernel launch
/// costs. A training file names a profile (`software = "megatron-2022"`, or `[software] profile =
/// …`) and may override any key of it (`[software] attention = "flash2"`); see docs/simulate.md,
/// "Software profiles".
public struct SoftwareProfile: Sendable, Equatable {
    /// How a GEMM's time is found.
    public enum GemmTiming: String, Sendable, CaseIterable {
        /// The chip's (calibrated) efficiency curve over GEMM size: today's model, fitted where
        /// DeepSeek-V3's step was.
        case curve
        /// From the shape: tiles and waves on the chip's SMs at its large-GEMM efficiency
        /// (the chip's `[tiles]`; a chip without one falls back to the curve).
        case tiles
    }

    /// Which attention kernel runs.
    public enum AttentionKernel: String, Sendable, CaseIterable {
        /// A fused kernel at the chip's calibrated attention efficiencies (`[gemm]
        /// attentionForwardEfficiency`, `attentionBackwardEfficiency`): today's model.
        case calibrated
        /// FlashAttention-2 at the chip's `[attention.flash2]` figures.
        case flash2
        /// FlashAttention-3 at the chip's `[attention.flash3]` figures (Hopper).
        case flash3
        /// Unfused: QKᵀ and PV as batched GEMMs over the whole sequence (no causal skip), the
        /// s×s scores written and read by a separate (scale-mask-)softmax kernel.
        case unfused
    }

    /// The named profiles.
    public enum Name: String, Sendable, CaseIterable {
        case deepseekV3 = "deepseek-v3"
        case megatron2021 = "megatron-2021"
        case megatron2022 = "megatron-2022"
        case megatronCore2024 = "megatron-core-2024"
        case pytorchEager = "pytorch-eager"
    }

    /// GEMM timing.
    public var gemm: GemmTiming
    /// Attention kernel.
    public var attention: AttentionKernel
    /// Whether bias, dropout and residual add run as one kernel, and the activation (SwiGLU,
    /// bias-GeLU) as one; unfused, each step is its own kernel reading and writing memory.
    public var fusedElementwise: Bool
    /// Seconds each compute kernel adds (launch and the gap between kernels).
    public var kernelLaunchSeconds: Double
    /// Whether the run applies dropout to the attention probabilities (Megatron-LM's
    /// `--attention-dropout`, 0.1 by default in its GPT-3-era scripts). Only unfused attention
    /// materialises the probabilities, so only there it is a kernel of its own: forward reads P and
    /// writes the dropped P and a 1-byte mask, backward reads the gradient and the mask and writes
    /// one (Korthikanti et al., arXiv:2205.05198 §4.1, count the mask and the output among the
    /// layer's stored tensors). FlashAttention applies it inside the kernel. Default false.
    public var attentionDropout: Bool

    public init(gemm: GemmTiming, attention: AttentionKernel, fusedElementwise: Bool, kernelLaunchSeconds: Double,
                attentionDropout: Bool = false) {
        self.gemm = gemm
        self.attention = attention
        self.fusedElementwise = fusedElementwise
        self.kernelLaunchSeconds = kernelLaunchSeconds
        self.attentionDropout = attentionDropout
    }

    /// Today's model, the default: the curve, the calibrated attention kernel, fused elementwise
    /// work, no launch cost. DeepSeek-V3's simulated step is fitted with it (HARDWARE.md).
    public static let deepseekV3 = SoftwareProfile(gemm: .curve, attention: .calibrated, fusedElementwise: true, kernelLaunchSeconds: 0)

    /// The profile named `name`. Sources and assumptions (docs/simulate.md, "Software profiles"):
    /// - megatron-2021: Narayanan et al., SC'21 (arXiv:2104.04473) §4.2: fused bias+GeLU,
    ///   bias+dropout+add and scale+mask+softmax; attention otherwise unfused (before FlashAttention).
    /// - megatron-2022: Korthikanti et al. (arXiv:2205.05198): the same kernels (selective
    ///   recompute exists because the s² softmax is materialised).
    /// - megatron-core-2024: FlashAttention-2 through Transformer Engine, fused elementwise.
    /// - pytorch-eager: nothing fused, attention unfused.
    /// Launch cost per kernel: 2 µs for Megatron's asynchronously launched kernels, 4 µs for
    /// eager PyTorch (assumption: CUDA launch latency of a few µs, NVIDIA CUDA best-practices
    /// guide; not fitted).
    public static func named(_ name: Name) -> SoftwareProfile {
        switch name {
        case .deepseekV3: return .deepseekV3
        case .megatron2021, .megatron2022:
            return SoftwareProfile(gemm: .tiles, attention: .unfused, fusedElementwise: true, kernelLaunchSeconds: 2e-6)
        case .megatronCore2024:
            return SoftwareProfile(gemm: .tiles, attention: .flash2, fusedElementwise: true, kernelLaunchSeconds: 2e-6)
        case .pytorchEager:
            return SoftwareProfile(gemm: .tiles, attention: .unfused, fusedElementwise: false, kernelLaunchSeconds: 4e-6)
        }
    }
}
