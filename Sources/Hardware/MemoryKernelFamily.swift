/// The families of memory-bound kernels a calibration can time apart (`[gemm]
/// memoryKernelEfficiency = { norm = …, activation = … }` in a chip or cluster file): kernels of
/// one family move their bytes at one measured rate, the others at ``GemmEfficiencyCurve/memoryEfficiency``.
/// On a GPU they all stream at close to the memory bandwidth; on a CPU core an activation's
/// `expf` per element or a softmax's row reductions make them compute-bound at very different
/// rates, so `frugal calibrate --job` measures each family the job's programs use.
public enum MemoryKernelFamily: String, Sendable, CaseIterable, Codable {
    /// RMSNorm / LayerNorm forward and backward.
    case norm
    /// The FFN activation (SwiGLU's SiLU and product, GeLU).
    case activation
    /// The loss (softmax cross-entropy over the vocabulary).
    case loss
    /// The optimizer update (AdamW over the parameters and its moments).
    case optimizer
}
