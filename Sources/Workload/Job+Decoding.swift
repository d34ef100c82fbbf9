import Foundation
import Config
import Hardware

/// What a job is checked against besides its own keys: the rank count it will run on and the
/// memory of the coordinating host.
public struct JobLimits: Sendable {
    /// Ranks the job will run on.
    public var ranks: Int
    /// Bytes rank 0 may use for one task's matrices, or nil to skip the check.
    public var availableMemoryBytes: Int?

    public init(ranks: Int, availableMemoryBytes: Int?) {
        self.ranks = ranks
        self.availableMemoryBytes = availableMemoryBytes
    }
}

extension Job {
    /// Keys of the job table.
    public static let keys = ["name", "seed", "tasks", "cluster", "constraints"]
    /// Keys of a `gemm` task.
    public static let gemmKeys = ["kind", "name", "m", "n", "k", "repeat", "seed", "sharding", "grid", "tolerance", "verify"]
    /// Keys of a `moe` task.
    public static let moeKeys = ["kind", "name", "tokens", "hidden", "expertFfnWidth", "routedExperts", "sharedExperts", "topK",
                                 "groups", "topkGroups", "gpusPerNode", "scoreFunction", "routeScale", "balance", "affinity",
                                 "steps", "microBatches", "capacityFactor", "backward", "transport", "seed", "verify", "tolerance"]
    /// Keys of a `moe` task renamed to the model file's spelling (old → new); the old ones still
    /// decode, with a ``ConfigWarning``.
    public static let moeRenamedKeys: KeyValuePairs<String, String> = [
        "experts": "routedExperts", "expertHidden": "expertFfnWidth", "ranksPerNode": "gpusPerNode", "scoring": "scoreFunction"]
    /// Keys of a `batch` task.
    public static let batchKeys = ["kind", "name", "policy", "shapes", "generate", "seed", "verify"]
    /// Task kinds.
    public static let kinds = ["gemm", "moe", "batch", "train"]
    /// The largest element count of one matrix: MPI counts are C `int`s.
    public static let maxMatrixElements = Int(Int32.max)

    /// Reads, decodes and validates the job file at `path`, adding deprecated keys it uses to
    /// `warnings` for the caller to print.
    public init(contentsOfFile path: String, limits: JobLimits, warnings: inout ConfigWarnings) throws(ConfigError) {
        try self.init(document: ConfigDocument(contentsOfFile: path), limits: limits, warnings: &warnings)
    }

    /// Decodes and validates a parsed job file, dropping warnings: for a file whose warnings
    /// were already shown (another rank's copy, a rewritten job).
    public init(document: ConfigDocument, limits: JobLimits) throws(ConfigError) {
        var ignored = ConfigWarnings()
        try self.init(document: document, limits: limits, warnings: &ignored)
    }

    /// Decodes and validates a parsed job file, adding deprecated keys it uses to `warnings`.
    public init(document: ConfigDocument, limits: JobLimits, warnings: inout ConfigWarnings) throws(ConfigError) {
        let root = try document.root
        // The rank count comes from MPI or a flag, not the file, but every per-rank check and
        // hint below multiplies or allocates by it.
        guard WorkloadBounds.ranks.contains(limits.ranks) else {
            throw ConfigError(file: document.file, keyPath: "", expected: "a rank count in \(Bound.describe(WorkloadBounds.ranks))",
                              found: "\(limits.ranks) ranks")
        }
        try root.rejectUnknownKeys(allowed: Job.keys)
        let defaultName = document.file.split(separator: "/").last.map { String($0.split(separator: ".").first ?? $0) } ?? "job"
        name = try root.string("name", default: defaultName)
        seed = try UInt64(root.int("seed", in: WorkloadBounds.seed, default: 42))
        let taskTables = try root.tableArray("tasks")
        guard !taskTables.isEmpty else {
            throw root.error("tasks", expected: "at least one [[tasks]] table", found: "none")
        }
        var tasks: [JobTask] = []
        var names: Set<String> = []
        for (index, table) in taskTables.enumerated() {
            let task = try Job.decodeTask(table, index: index, jobSeed: seed, jobFile: document.file, limits: limits,
                                          warnings: &warnings)
            guard names.insert(task.name).inserted else {
                throw table.error("name", expected: "a task name unique in the job", found: "'\(task.name)' again")
            }
            tasks.append(task)
        }
        self.tasks = tasks
        cluster = try Job.decodeCluster(root, ranks: limits.ranks, warnings: &warnings)
    }

    /// The emulated cluster: `[cluster]`, or the deprecated `[constraints]` (a warning for the
    /// caller to print), not both.
    static func decodeCluster(_ root: ConfigTable, ranks: Int, warnings: inout ConfigWarnings) throws(ConfigError) -> EmulatedCluster? {
        let key = try root.renamedKey("cluster", old: "constraints", warnings: &warnings)
        guard let table = try root.table(key) else { return nil }
        return key == "cluster" ? try decodeEmulatedCluster(table, ranks: ranks) : try decodeConstraints(table, ranks: ranks)
    }

    /// `[cluster]`: `gpusPerNode`, `slowdown` (per rank or one number, ≥ 1), and per tier
    /// (`[cluster.intraNode]`, `[cluster.scaleOut]`) `gbPerSecond` (absent: uncapped) and `latencyUs`.
    static func decodeEmulatedCluster(_ table: ConfigTable, ranks: Int) throws(ConfigError) -> EmulatedCluster {
        try table.rejectUnknownKeys(allowed: ["gpusPerNode", "slowdown", "intraNode", "scaleOut"])
        let slowdown = try perRank(table, "slowdown", in: WorkloadBounds.slowdown, ranks: ranks, what: "slowdown")
        let gpusPerNode = try nodeSize(table, "gpusPerNode", ranks: ranks)
        func tier(_ key: String) throws(ConfigError) -> LinkTier? {
            guard let link = try table.table(key) else { return nil }
            try link.rejectUnknownKeys(allowed: ["gbPerSecond", "latencyUs"])
            return LinkTier(gbPerSecond: try link.optionalDouble("gbPerSecond", in: WorkloadBounds.bandwidthGbPerSecond) ?? .infinity,
                            latencySeconds: try link.double("latencyUs", in: WorkloadBounds.latencyUs, default: 0) * 1e-6)
        }
        return EmulatedCluster(gpusPerNode: gpusPerNode, slowdown: slowdown, intraNode: try tier("intraNode"), scaleOut: try tier("scaleOut"))
    }

    /// The deprecated `[constraints]`: `computeScale` (= 1 / slowdown, per rank or one number),
    /// `ranksPerNode`, `intraNodeGbPerSecond` and `interNodeGbPerSecond` (bandwidth caps, no latency).
    static func decodeConstraints(_ table: ConfigTable, ranks: Int) throws(ConfigError) -> EmulatedCluster {
        try table.rejectUnknownKeys(allowed: ["computeScale", "ranksPerNode", "intraNodeGbPerSecond", "interNodeGbPerSecond"])
        let scales = try perRank(table, "computeScale", in: WorkloadBounds.computeScale, ranks: ranks, what: "scale")
        func tier(_ key: String) throws(ConfigError) -> LinkTier? {
            try table.optionalDouble(key, in: WorkloadBounds.bandwidthGbPerSecond).map { LinkTier(gbPerSecond: $0, latencySeconds: 0) }
        }
        return EmulatedCluster(gpusPerNode: try nodeSize(table, "ranksPerNode", ranks: ranks), slowdown: scales.map { 1 / $0 },
                               intraNode: try tier("intraNodeGbPerSecond"), scaleOut: try tier("interNodeGbPerSecond"))
    }

    /// A per-rank number: one value per rank, or a single number for every rank (default 1).
    private static func perRank(_ table: ConfigTable, _ key: String, in bounds: ClosedRange<Double>, ranks: Int,
                                what: String) throws(ConfigError) -> [Double] {
        if table.isArray(key) {
            let list = try table.doubleArray(key, in: bounds, maxCount: WorkloadBounds.ranks.upperBound) ?? []
            guard list.count == ranks else {
                throw table.error(key, expected: "one \(what) per rank (\(ranks)) or a single number", found: "\(list.count) values")
            }
            return list
        }
        return Array(repeating: table.contains(key) ? try table.double(key, in: bounds) : 1, count: ranks)
    }

    /// Ranks per virtual node: a divisor of the rank count (default 1).
    private static func nodeSize(_ table: ConfigTable, _ key: String, ranks: Int) throws(ConfigError) -> Int {
        let size = try table.int(key, in: 1...max(1, ranks), default: 1)
        guard ranks % size == 0 else {
            throw table.error(key, expected: "a divisor of the rank count (\(ranks))", found: "\(size)")
        }
        return size
    }

    private static func decodeTask(_ table: ConfigTable, index: Int, jobSeed: UInt64, jobFile: String, limits: JobLimits,
                                   warnings: inout ConfigWarnings) throws(ConfigError) -> JobTask {
        let kind = try table.string("kind")
        switch kind {
        case "gemm":
            return .gemm(try decodeGemm(table, index: index, jobSeed: jobSeed, limits: limits))
        case "moe":
            return .moe(try decodeMoE(table, index: index, jobSeed: jobSeed, limits: limits, warnings: &warnings))
        case "batch":
            return .batch(try decodeBatch(table, index: index, jobSeed: jobSeed, limits: limits))
        case "train":
            return .train(try decodeTrain(table, index: index, jobSeed: jobSeed, jobFile: jobFile, limits: limits))
        default:
            throw table.error("kind", expected: "one of \(kinds.map { "'\($0)'" }.joined(separator: " | "))", found: "'\(kind)'")
        }
    }

    private static func decodeGemm(_ table: ConfigTable, index: Int, jobSeed: UInt64, limits: JobLimits) throws(ConfigError) -> GemmTask {
        try table.rejectUnknownKeys(allowed: gemmKeys)
        let side = WorkloadBounds.matrixSide
        let m = try table.int("m", in: side), n = try table.int("n", in: side), k = try table.int("k", in: side)
        try checkMatrices(table, m: m, n: n, k: k)
        var task = GemmTask(
            name: try table.string("name", default: "gemm-\(index)"),
            m: m, n: n, k: k,
            repetitions: try table.int("repeat", in: WorkloadBounds.repetitions, default: 1),
            seed: UInt64(try table.int("seed", in: WorkloadBounds.seed, default: Int(jobSeed))),
            sharding: try table.choice("sharding", default: GemmSharding.rows),
            tolerance: try table.optionalDouble("tolerance", in: WorkloadBounds.tolerance),
            verify: try table.bool("verify", default: true))

        if table.contains("grid") {
            let grid = try table.intArray("grid", in: WorkloadBounds.ranks, maxCount: WorkloadBounds.ranks.upperBound) ?? []
            guard task.sharding == .grid else {
                throw table.error("grid", expected: "no 'grid' unless sharding = \"grid\"", found: "grid = \(grid)")
            }
            guard grid.count == 2 else {
                throw table.error("grid", expected: "[rows, columns] of positive integers", found: "\(grid)")
            }
            guard grid[0] * grid[1] == limits.ranks else {
                throw table.error("grid", expected: "rows × columns = \(limits.ranks) (the rank count)",
                                  found: "\(grid[0]) × \(grid[1]) = \(grid[0] * grid[1])",
                                  hint: "omit 'grid' to use \(GridShape.mostSquare(ranks: limits.ranks))")
            }
            task.grid = GridShape(rows: grid[0], columns: grid[1])
        }

        if let available = limits.availableMemoryBytes {
            // Rank 0 holds A, B, the gathered C and the reference C while verifying.
            let elements = Double(m) * Double(k) + Double(k) * Double(n) + 2 * Double(m) * Double(n)
            let bytes = elements * Double(MemoryLayout<Float>.size)
            if bytes > Double(available) {
                throw table.error("m", expected: "matrices that fit in rank 0's memory (\(formatBytes(Double(available))) available)",
                                  found: "\(m)×\(n)×\(k) needing \(formatBytes(bytes))",
                                  hint: task.verify ? "reduce m, n or k" : nil)
            }
        }
        return task
    }

    /// A, B and C of an m×n×k product each fit an MPI count (2³¹−1 elements).
    static func checkMatrices(_ table: ConfigTable, m: Int, n: Int, k: Int) throws(ConfigError) {
        for (key, rows, columns) in [("m", m, k), ("n", k, n), ("m", m, n)] {
            let (elements, overflow) = rows.multipliedReportingOverflow(by: columns)
            guard !overflow, elements <= maxMatrixElements else {
                throw table.error(key, expected: "matrices of at most 2³¹−1 elements (MPI's count limit)",
                                  found: "a \(rows)×\(columns) matrix")
            }
        }
    }
}

/// "1.5 GB" style (1 GB = 1e9 bytes).
func formatBytes(_ bytes: Double) -> String {
    if bytes >= 1e9 { return String(format: "%.1f GB", bytes / 1e9) }
    if bytes >= 1e6 { return String(format: "%.1f MB", bytes / 1e6) }
    return "\(Int(bytes)) bytes"
}

extension Job {
    static func decodeBatch(_ table: ConfigTable, index: Int, jobSeed: UInt64, limits: JobLimits) throws(ConfigError) -> BatchTask {
        try table.rejectUnknownKeys(allowed: batchKeys)
        let seed = UInt64(try table.int("seed", in: WorkloadBounds.seed, default: Int(jobSeed)))
        var shapes: [GemmShape] = []
        if let generate = try table.table("generate") {
            try generate.rejectUnknownKeys(allowed: ["count", "minSize", "maxSize", "skew"])
            let minSize = try generate.int("minSize", in: WorkloadBounds.generatedSide, default: 16)
            let maxSize = try generate.int("maxSize", in: WorkloadBounds.generatedSide)
            guard maxSize >= minSize else {
                throw generate.error("maxSize", expected: "at least minSize (\(minSize))", found: "\(maxSize)")
            }
            let skew = try generate.double("skew", in: WorkloadBounds.skew, default: 1)
            shapes = BatchTask.skewedShapes(count: try generate.int("count", in: WorkloadBounds.batchItems),
                                            minSize: minSize, maxSize: maxSize, skew: skew, seed: seed)
        }
        if table.contains("shapes") {
            guard shapes.isEmpty else {
                throw table.error("shapes", expected: "either 'shapes' or a [generate] table", found: "both")
            }
            let triples = try table.intArrays("shapes", in: WorkloadBounds.matrixSide, maxCount: WorkloadBounds.batchItems.upperBound)
            for (position, shape) in triples.enumerated() {
                guard shape.count == 3 else {
                    throw table.error("shapes", expected: "[m, n, k] triples of positive integers", found: "\(shape) at position \(position)")
                }
                do {
                    try checkMatrices(table, m: shape[0], n: shape[1], k: shape[2])
                } catch {
                    throw table.error("shapes", expected: error.expected, found: "\(error.found) at position \(position)")
                }
                shapes.append(GemmShape(m: shape[0], n: shape[1], k: shape[2]))
            }
        }
        guard !shapes.isEmpty else {
            throw table.error("shapes", expected: "a list of [m, n, k] or a [generate] table", found: "no items")
        }
        let task = BatchTask(name: try table.string("name", default: "batch-\(index)"), shapes: shapes,
                             policy: try table.choice("policy", default: BatchPolicy.lpt), seed: seed,
                             verify: try table.bool("verify", default: true))
        try checkBatchMemory(task, table: table, limits: limits)
        return task
    }

    /// Every rank holds input pools as large as the largest A and B and, when verifying, every
    /// item's C (docs/running-jobs.md, "Batch tasks"); that must fit in the memory `limits` allows.
    static func checkBatchMemory(_ task: BatchTask, table: ConfigTable, limits: JobLimits) throws(ConfigError) {
        guard let available = limits.availableMemoryBytes else { return }
        // Each term is at most 2²⁰ items × 2³¹ elements, so Double sums are exact enough.
        let largestA = task.shapes.map { Double($0.m) * Double($0.k) }.max() ?? 0
        let largestB = task.shapes.map { Double($0.k) * Double($0.n) }.max() ?? 0
        let outputs = task.verify ? task.shapes.reduce(0) { $0 + Double($1.m) * Double($1.n) }
                                  : task.shapes.map { Double($0.m) * Double($0.n) }.max() ?? 0
        let bytes = (largestA + largestB + outputs) * Double(MemoryLayout<Float>.size)
        if bytes > Double(available) {
            let key = table.contains("shapes") ? "shapes" : "generate"
            throw table.error(key, expected: "items whose inputs and outputs fit in each rank's memory (\(formatBytes(Double(available))) available)",
                              found: "\(task.shapes.count) items needing \(formatBytes(bytes))",
                              hint: task.verify ? "fewer or smaller items, or verify = false" : "fewer or smaller items")
        }
    }
}
