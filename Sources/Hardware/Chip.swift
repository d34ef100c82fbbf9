import Config

/// One accelerator model: dense peaks, memory, links, power and how efficiently it runs kernels.
/// Loaded from `Cluster/chips/*.toml` (see ``ChipCatalog``).
public struct Chip: Sendable, Equatable {
    /// Catalog name, e.g. "H800".
    public var name: String
    /// Dense BF16 tensor peak.
    public var bf16DenseTflops: Double
    /// Dense FP8 tensor peak; nil when the chip has no FP8 tensor cores.
    public var fp8DenseTflops: Double?
    /// FP32 (non-tensor) peak.
    public var fp32Tflops: Double
    /// Device memory.
    public var memoryBytes: Double
    /// Memory bandwidth.
    public var memoryGbPerSecond: Double
    /// "nvlink", "nvlink-bridge" or "pcie".
    public var intraNodeLink: String
    /// Intra-node link bandwidth, both directions together, per GPU.
    public var intraNodeBidirectionalGbPerSecond: Double
    /// Typical scale-out NIC bandwidth per GPU, one direction.
    public var scaleOutGbPerSecond: Double
    /// Board power.
    public var tdpWatts: Double
    /// Die area in mm² (for the export-control performance density), when published.
    public var dieAreaMm2: Double?
    /// TPP as published, for a chip whose counted rate is not one of the dense peaks here
    /// (RTX 4090: FP8 with FP16 accumulation, 660.6 TOPS × 8); nil = derived from the peaks.
    public var publishedTpp: Double?
    /// Streaming multiprocessors (to account for SMs reserved for communication).
    public var streamingMultiprocessors: Int
    /// Kernel efficiencies.
    public var efficiency: GemmEfficiencyCurve
    /// GEMM tiles and the large-GEMM efficiency (the shape-aware GEMM time); nil when the chip
    /// file has no `[tiles]` table (GEMMs then take the efficiency curve).
    public var tiling: GemmTiling?
    /// Attention kernels by family (`[attention]`): the FlashAttention versions this chip has
    /// published figures for.
    public var attentionKernels: AttentionKernelEfficiencies

    /// Decodes a chip file.
    public init(document: ConfigDocument) throws(ConfigError) {
        try self.init(table: try document.root)
    }

    /// Decodes a chip table: a chip file's root, or a cluster file's inline `[chip]` (as
    /// `frugal calibrate` writes for the local machine).
    public init(table root: ConfigTable) throws(ConfigError) {
        try root.rejectUnknownKeys(allowed: ["name", "bf16DenseTflops", "fp8DenseTflops", "fp32Tflops", "memoryGB",
                                             "memoryGbPerSecond", "intraNodeLink", "intraNodeBidirectionalGbPerSecond",
                                             "scaleOutGbPerSecond", "tdpWatts", "streamingMultiprocessors", "gemm", "dieAreaMm2", "tpp",
                                             "tiles", "attention"])
        let bounds = HardwareBounds.self
        name = try root.string("name")
        bf16DenseTflops = try root.double("bf16DenseTflops", in: bounds.tflops)
        fp8DenseTflops = try root.optionalDouble("fp8DenseTflops", in: bounds.tflops)
        fp32Tflops = try root.double("fp32Tflops", in: bounds.tflops)
        memoryBytes = try root.double("memoryGB", in: bounds.memoryGB) * 1e9
        memoryGbPerSecond = try root.double("memoryGbPerSecond", in: bounds.gbPerSecond)
        intraNodeLink = try root.string("intraNodeLink")
        intraNodeBidirectionalGbPerSecond = try root.double("intraNodeBidirectionalGbPerSecond", in: bounds.gbPerSecond)
        scaleOutGbPerSecond = try root.double("scaleOutGbPerSecond", in: bounds.gbPerSecond)
        tdpWatts = try root.double("tdpWatts", in: bounds.tdpWatts)
        streamingMultiprocessors = try root.int("streamingMultiprocessors", in: bounds.streamingMultiprocessors)
        dieAreaMm2 = try root.optionalDouble("dieAreaMm2", in: bounds.dieAreaMm2)
        publishedTpp = try root.optionalDouble("tpp", in: bounds.tpp)
        guard let gemm = try root.table("gemm") else {
            throw root.error("gemm", expected: "a [gemm] efficiency table", found: "nothing (the table is required)")
        }
        efficiency = try GemmEfficiencyCurve(table: gemm)
        tiling = try root.table("tiles").map { table throws(ConfigError) in try GemmTiling(table: table) }
        attentionKernels = try root.table("attention").map { table throws(ConfigError) in try AttentionKernelEfficiencies(table: table) }
            ?? AttentionKernelEfficiencies()
    }

    /// TPP (ECCN 3A090): dense TOPS × bit length, the highest over the chip's precisions.
    public var tpp: Double {
        publishedTpp ?? ExportControl.tpp([(bf16DenseTflops, 16), (fp8DenseTflops ?? 0, 8), (fp32Tflops, 32)])
    }

    /// TPP per mm² of die, when the die area is known.
    public var performanceDensity: Double? { ExportControl.performanceDensity(tpp: tpp, dieAreaMm2: dieAreaMm2) }
}
