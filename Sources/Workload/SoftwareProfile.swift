/// The software stack a training run used, as far as it decides kernel time: how GEMMs are timed,
/// which attention kernel runs, whether elementwise chains are fused, and what each kernel launch
/// costs. A training file names a profile (`software = "megatron-2022"`, or `[software] profile =
/// …`) and may override any key of it (`[software] attention = "flash2"`); see docs/simulate.md,
/// "Kernels by software profile".
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
        case haiLLM = "hai-llm"
        case megatronDeepSpeed = "megatron-deepspeed"
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
    /// The fraction of the chip's compute-kernel efficiencies — GEMMs (curve or tiles) and fused
    /// attention — this stack sustains in a training step (`[software] kernelFraction`, in
    /// 0.01…1 from a file, default 1). It stands for what the stack costs beyond the kernels Frugal models
    /// (framework overheads, synchronisation, kernels slower than the sourced figures), so it is
    /// **fitted**, on one run of `Cluster/validation/fitting-set.toml` per stack, and validated on
    /// that stack's other runs (docs/validation.md, "Fitted constants"). Memory-bound kernels and
    /// communication are not scaled.
    public var kernelFraction: Double

    public init(gemm: GemmTiming, attention: AttentionKernel, fusedElementwise: Bool, kernelLaunchSeconds: Double,
                attentionDropout: Bool = false, kernelFraction: Double = 1) {
        self.gemm = gemm
        self.attention = attention
        self.fusedElementwise = fusedElementwise
        self.kernelLaunchSeconds = kernelLaunchSeconds
        self.attentionDropout = attentionDropout
        self.kernelFraction = kernelFraction
    }

    /// Today's model, the default: the curve, the calibrated attention kernel, fused elementwise
    /// work, no launch cost. DeepSeek-V3's simulated step is fitted with it (HARDWARE.md).
    public static let deepseekV3 = SoftwareProfile(gemm: .curve, attention: .calibrated, fusedElementwise: true, kernelLaunchSeconds: 0)

    /// The named profiles this one equals (overrides that change nothing keep them; megatron-2021
    /// and megatron-2022 have the same keys), none for a custom one.
    public var names: [Name] {
        Name.allCases.filter { Self.named($0) == self }
    }

    /// One line for reports: the name(s) (or `custom`) and every key, e.g. `hai-llm (gemm tiles,
    /// attention flash2, fused elementwise, launch 2 µs, kernel fraction 0.75)`.
    public var summary: String {
        let short = { (value: Double) in value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)" }
        var keys = ["gemm \(gemm.rawValue)", "attention \(attention.rawValue)",
                    fusedElementwise ? "fused elementwise" : "unfused elementwise",
                    "launch \(short((kernelLaunchSeconds * 1e9).rounded() / 1e3)) µs"]
        if attentionDropout { keys.append("attention dropout") }
        if kernelFraction != 1 { keys.append("kernel fraction \(short(kernelFraction))") }
        let name = names.isEmpty ? "custom" : names.map(\.rawValue).joined(separator: " = ")
        return "\(name) (\(keys.joined(separator: ", ")))"
    }

    /// The profile named `name`. Sources and assumptions (docs/simulate.md, "Kernels by software profile"):
    /// - megatron-2021: Narayanan et al., SC'21 (arXiv:2104.04473) §4.2: fused bias+GeLU,
    ///   bias+dropout+add and scale+mask+softmax; attention otherwise unfused (before FlashAttention).
    /// - megatron-2022: Korthikanti et al. (arXiv:2205.05198): the same kernels (selective
    ///   recompute exists because the s² softmax is materialised).
    /// - megatron-core-2024: FlashAttention-2 through Transformer Engine, fused elementwise.
    /// - pytorch-eager: nothing fused, attention unfused.
    /// - hai-llm: DeepSeek's HAI-LLM framework (DeepSeek LLM, arXiv:2401.02954 §2.4; DeepSeek-V2,
    ///   arXiv:2405.04434 §3.1.3; DeepSeek-V3, arXiv:2412.19437 §3.1): shape-timed GEMMs,
    ///   FlashAttention-2 ("an improved version of FlashAttention-2", V2 §3.1.3), fused
    ///   elementwise work, and ``haiLLMKernelFraction`` fitted on DeepSeek-V3's measured step.
    /// - megatron-deepspeed: Megatron-LM's 2021 kernels run by DeepSpeed's pipeline engine (MT-NLG,
    ///   arXiv:2201.11990; BLOOM, arXiv:2211.05100), with ``megatronDeepSpeedKernelFraction``
    ///   fitted on MT-NLG's 2240-GPU step.
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
        case .haiLLM:
            return SoftwareProfile(gemm: .tiles, attention: .flash2, fusedElementwise: true, kernelLaunchSeconds: 2e-6,
                                   kernelFraction: haiLLMKernelFraction)
        case .megatronDeepSpeed:
            return SoftwareProfile(gemm: .tiles, attention: .unfused, fusedElementwise: true, kernelLaunchSeconds: 2e-6,
                                   kernelFraction: megatronDeepSpeedKernelFraction)
        }
    }

    /// hai-llm's kernel fraction, **fitted** on DeepSeek-V3's measured 19.926 s step (ISCA'25
    /// Table 4; `Cluster/validation/deepseek-v3`: the project's V3 training file under this
    /// profile, GEMMs from their tiles at the H800's sourced FP8 and BF16 efficiencies,
    /// FlashAttention-2); validated on DeepSeek 67B and DeepSeek-V2.
    public static let haiLLMKernelFraction = 0.75

    /// megatron-deepspeed's kernel fraction, **fitted** on MT-NLG 530B's 60.1 s step on 2240 A100s
    /// (Smith et al. 2022 §2.4; `Cluster/validation/mtnlg-530b-2240`); validated on the 3360-GPU
    /// step and on BLOOM.
    public static let megatronDeepSpeedKernelFraction = 0.73
}
