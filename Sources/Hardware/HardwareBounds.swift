/// The ranges the numbers of chip and cluster files (and `--set` what-ifs) must fall in, and
/// why. Every shipped file and every chip or cluster built so far is far inside them; what they
/// exclude would overflow a product, make a simulated time non-finite or trap a conversion
/// (docs/running-jobs.md, "Bounds on numbers").
public enum HardwareBounds {
    /// Dense peaks in TFLOPS: 10⁻³ to 10⁶ (B200 dense FP8: 4500).
    public static let tflops = 1e-3...1e6
    /// Bandwidths in GB/s (memory, NVLink, NICs, tiers): 1 MB/s to 1 PB/s, so bytes ÷ bandwidth
    /// stays finite and far from `Int` range in every simulated time.
    public static let gbPerSecond = 1e-3...1e6
    /// Device memory in GB: 1 MB to 1 PB.
    public static let memoryGB = 1e-3...1e6
    /// Board power in watts.
    public static let tdpWatts = 1.0...1e5
    /// Streaming multiprocessors (H800: 132).
    public static let streamingMultiprocessors = 1...65_536
    /// Die area in mm² (a whole wafer is ≈7·10⁴).
    public static let dieAreaMm2 = 1.0...1e6
    /// TPP as published (H100: ≈16000).
    public static let tpp = 1e-3...1e9
    /// Fractions of a peak (efficiencies); a zero fraction would divide by zero.
    public static let fraction = 1e-6...1.0
    /// GEMM sizes of efficiency points, in GFLOP.
    public static let sizeGflop = 1e-9...1e9
    /// Efficiency points per `[gemm]` table (and measured points per `[measured]` list).
    public static let maxPoints = 1_024
    /// Bytes of a measured collective (`[measured]`): 1 byte to 2⁵³ (exact in a Double).
    public static let measuredBytes = 1.0...9_007_199_254_740_992.0
    /// Seconds of a measured collective: 1 ns to a day.
    public static let measuredSeconds = 1e-9...86_400.0
    /// Edge of a GEMM output tile (`[tiles] shapes`; cuBLAS: 64 to 256).
    public static let tileEdge = 1...4_096
    /// Tile shapes per `[tiles]` table.
    public static let maxTileShapes = 64
    /// A cluster's clock as a fraction of the chip's boost clock (`clockFraction`).
    public static let clockFraction = 0.01...1.0
    /// Nodes of a cluster: 2²⁰.
    public static let nodes = 1...1_048_576
    /// GPUs per node: 2¹⁰ (NVL72: 72).
    public static let gpusPerNode = 1...1_024
    /// GPUs of a cluster (nodes × gpusPerNode): 2²⁴, the largest rank count considered anywhere.
    public static let gpus = 16_777_216
    /// Rental price in US dollars per GPU-hour.
    public static let usdPerGpuHour = 0.0...1e6
    /// Average power as a fraction of TDP.
    public static let powerFraction = 1e-3...1.0
    /// Power usage effectiveness: ≥ 1 by definition.
    public static let powerUsageEffectiveness = 1.0...10.0
    /// One-message latencies in µs: 1 ps to 1 s.
    public static let latencyUs = 1e-6...1e6
    /// Fat-tree switch levels.
    public static let levels = 1...3
    /// Fat-tree planes (DeepSeek: 8).
    public static let planes = 1...1_024
    /// Leaf over-subscription (1 = non-blocking).
    public static let oversubscription = 1.0...1000.0
}
