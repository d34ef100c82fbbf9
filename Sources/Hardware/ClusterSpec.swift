import Config
import Foundation

/// A cluster: a chip, how many nodes of how many GPUs, the intra-node and scale-out tiers, the
/// fat-tree topology and the price. Loaded from `Cluster/clusters/*.toml`; the chip comes from
/// the chip catalog (by default `../chips` beside the clusters directory).
///
/// A calibration run writes the same format (`local.toml`): a measured `[gemm]` table
/// overrides the chip's efficiencies, `memoryGbPerSecond` overrides the chip's bandwidth and the
/// `[intraNode]` / `[scaleOut]` tables hold the measured alpha-beta of each tier. `memoryGB`
/// overrides the chip's memory capacity (a cluster of a chip's smaller or larger variant).
public struct ClusterSpec: Sendable {
    /// Name for reports.
    public var name: String
    /// The chip, with any cluster overrides applied.
    public var chip: Chip
    /// Node count.
    public var nodes: Int
    /// GPUs per node.
    public var gpusPerNode: Int
    /// Intra-node tier (NVLink or PCIe), per GPU per direction.
    public var intraNode: LinkTier
    /// Scale-out NIC bandwidth per GPU per direction (the tier comes from ``topology``).
    public var scaleOutGbPerSecond: Double
    /// The fabric.
    public var topology: FatTreeTopology
    /// Rental price.
    public var usdPerGpuHour: Double
    /// Average power drawn as a fraction of TDP while training (for energy).
    public var powerFractionOfTdp: Double
    /// Whole-facility overhead on GPU energy (PUE and host power).
    public var powerUsageEffectiveness: Double
    /// Collective times measured at a job's sizes (`frugal calibrate --job`), or nil.
    public var measured: MeasuredCollectives?

    /// All GPUs.
    public var gpuCount: Int { nodes * gpusPerNode }

    /// Decodes `path`, finding the chip in `chipsDirectory` (default: `<dir of path>/../chips`).
    public init(contentsOfFile path: String, chipsDirectory: String? = nil) throws(ConfigError) {
        let document = try ConfigDocument(contentsOfFile: path)
        let directory = chipsDirectory
            ?? (((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("../chips") as NSString).standardizingPath
        // A chip described inline (a calibrated cluster) needs no catalog.
        let inline = (try? document.root.table("chip")) != nil
        try self.init(document: document, catalog: inline ? ChipCatalog(emptyAt: directory) : ChipCatalog(directory: directory))
    }

    /// Decodes a cluster document against `catalog`.
    public init(document: ConfigDocument, catalog: ChipCatalog) throws(ConfigError) {
        let root = try document.root
        try root.rejectUnknownKeys(allowed: ["name", "chip", "nodes", "gpusPerNode", "usdPerGpuHour", "memoryGbPerSecond", "memoryGB",
                                             "powerFractionOfTdp", "powerUsageEffectiveness", "clockFraction", "powerCapWatts",
                                             "intraNode", "scaleOut", "topology", "gemm", "measured"])
        name = try root.string("name")
        var chip: Chip
        if let inline = try? root.table("chip") {
            chip = try Chip(table: inline)
        } else {
            let chipName = try root.string("chip")
            guard let known = catalog.chip(named: chipName) else {
                throw root.error("chip", expected: "a chip in \(catalog.directory)", found: "unknown chip '\(chipName)'",
                                 hint: "known chips: \(catalog.knownNames.joined(separator: ", "))")
            }
            chip = known
        }
        let bounds = HardwareBounds.self
        if let bandwidth = try root.optionalDouble("memoryGbPerSecond", in: bounds.gbPerSecond) { chip.memoryGbPerSecond = bandwidth }
        // The chip's memory in this cluster (A100 40 GB rather than 80, H20 96 rather than 141).
        if let capacity = try root.optionalDouble("memoryGB", in: bounds.memoryGB) { chip.memoryBytes = capacity * 1e9 }
        if let gemm = try root.table("gemm") { chip.efficiency = try GemmEfficiencyCurve(table: gemm) }
        try Self.applyClockCap(root, to: &chip)
        nodes = try root.int("nodes", in: bounds.nodes)
        gpusPerNode = try root.int("gpusPerNode", in: bounds.gpusPerNode)
        _ = try root.checkedProduct([("nodes", nodes), ("gpusPerNode", gpusPerNode)], key: "nodes", atMost: bounds.gpus,
                                    reason: "GPUs, 2^24")
        usdPerGpuHour = try root.double("usdPerGpuHour", in: bounds.usdPerGpuHour)
        powerFractionOfTdp = try root.double("powerFractionOfTdp", in: bounds.powerFraction, default: 0.8)
        powerUsageEffectiveness = try root.double("powerUsageEffectiveness", in: bounds.powerUsageEffectiveness, default: 1.2)

        guard let intra = try root.table("intraNode") else {
            throw root.error("intraNode", expected: "an [intraNode] table (gbPerSecond, latencyUs)", found: "nothing")
        }
        try intra.rejectUnknownKeys(allowed: ["gbPerSecond", "latencyUs"])
        intraNode = LinkTier(gbPerSecond: try intra.double("gbPerSecond", in: bounds.gbPerSecond,
                                                           default: chip.intraNodeBidirectionalGbPerSecond / 2),
                             latencySeconds: try intra.double("latencyUs", in: bounds.latencyUs) * 1e-6)
        guard let scaleOut = try root.table("scaleOut") else {
            throw root.error("scaleOut", expected: "a [scaleOut] table (gbPerSecond per GPU)", found: "nothing")
        }
        try scaleOut.rejectUnknownKeys(allowed: ["gbPerSecond"])
        scaleOutGbPerSecond = try scaleOut.double("gbPerSecond", in: bounds.gbPerSecond, default: chip.scaleOutGbPerSecond)
        guard let topology = try root.table("topology") else {
            throw root.error("topology", expected: "a [topology] table", found: "nothing")
        }
        self.topology = try FatTreeTopology(table: topology)
        if let measured = try root.table("measured") { self.measured = try MeasuredCollectives(table: measured) }
        self.chip = chip
    }

    /// A cluster's clock or power cap (`clockFraction`, or `powerCapWatts` ≤ the chip's TDP; at
    /// most one): the dense compute peaks scale with the clock; memory bandwidth and links do not.
    /// A power cap P gives the clock fraction (P / TDP)^(1/3) (assumption: dynamic power ∝ f·V²
    /// with the voltage scaled with the clock, so ∝ f³; static power ignored) and caps the board
    /// power the energy figures use.
    static func applyClockCap(_ root: ConfigTable, to chip: inout Chip) throws(ConfigError) {
        let bounds = HardwareBounds.self
        var fraction = try root.optionalDouble("clockFraction", in: bounds.clockFraction)
        if let cap = try root.optionalDouble("powerCapWatts", in: bounds.tdpWatts) {
            guard fraction == nil else {
                throw root.error("powerCapWatts", expected: "clockFraction or powerCapWatts, not both", found: "both")
            }
            guard cap <= chip.tdpWatts else {
                throw root.error("powerCapWatts", expected: "at most the chip's TDP (\(Bound.describe(chip.tdpWatts)) W)",
                                 found: Bound.describe(cap))
            }
            fraction = Self.clockFraction(powerCapWatts: cap, tdpWatts: chip.tdpWatts)
            chip.tdpWatts = cap
        }
        guard let fraction else { return }
        chip.bf16DenseTflops *= fraction
        chip.fp8DenseTflops = chip.fp8DenseTflops.map { $0 * fraction }
        chip.fp32Tflops *= fraction
    }

    /// The clock fraction a power cap allows: (cap / TDP)^(1/3) (see ``applyClockCap(_:to:)``).
    public static func clockFraction(powerCapWatts: Double, tdpWatts: Double) -> Double {
        Foundation.pow(min(1, powerCapWatts / tdpWatts), 1.0 / 3.0)
    }

    /// A cluster built in code (tests, sweeps).
    public init(name: String, chip: Chip, nodes: Int, gpusPerNode: Int, intraNode: LinkTier, scaleOutGbPerSecond: Double,
                topology: FatTreeTopology, usdPerGpuHour: Double, powerFractionOfTdp: Double = 0.8,
                powerUsageEffectiveness: Double = 1.2) {
        self.name = name
        self.chip = chip
        self.nodes = nodes
        self.gpusPerNode = gpusPerNode
        self.intraNode = intraNode
        self.scaleOutGbPerSecond = scaleOutGbPerSecond
        self.topology = topology
        self.usdPerGpuHour = usdPerGpuHour
        self.powerFractionOfTdp = powerFractionOfTdp
        self.powerUsageEffectiveness = powerUsageEffectiveness
    }

    /// The scale-out tier for a group spanning `nodes` nodes.
    public func scaleOutTier(spanningNodes nodes: Int) -> LinkTier {
        topology.tier(nicGbPerSecond: scaleOutGbPerSecond, spanningNodes: nodes)
    }

    /// How far apart ranks `a` and `b` sit: 0 the same node, then the fabric's distance between
    /// their nodes (``FatTreeTopology/distance(node:node:)``).
    public func distance(rank a: Int, rank b: Int) -> Int {
        topology.distance(node: a / max(1, gpusPerNode), node: b / max(1, gpusPerNode))
    }
}
