/// One point of a sweep: a measured run (`mpirun -np ranks frugal run JOB`) or a simulation
/// (`frugal simulate --cluster … --parallel …`). Its `id` names its folder,
/// `DIR/points/<id>/`, and is stable across reruns, which is how a rerun finds finished points.
public struct SweepPoint: Codable, Sendable, Equatable {
    /// How the point is produced.
    public enum Mode: String, Codable, Sendable, CaseIterable {
        case measured
        case simulated

        /// What the workers of this mode are, in axis titles: "MPI ranks" or "chips".
        public var workers: String { self == .measured ? "MPI ranks" : "chips" }
        /// One worker, short: "rank" or "chip".
        public var worker: String { self == .measured ? "rank" : "chip" }
        /// "Measured" or "Simulated", for titles.
        public var title: String { self == .measured ? "Measured" : "Simulated" }
    }

    /// Strong scaling keeps the problem fixed; weak scaling grows it with the ranks.
    public enum Scaling: String, Codable, Sendable, CaseIterable {
        case strong
        case weak
    }

    public var id: String
    public var mode: Mode

    // Measured points.
    /// The job file as given, and the one actually run (a derived file for weak scaling).
    public var jobFile: String?
    public var runJobFile: String?
    public var scaling: Scaling?
    public var ranks: Int?
    /// 1-based repetition of this configuration.
    public var repetition: Int?
    /// More ranks than this machine's cores: timings are not representative.
    public var oversubscribed: Bool

    // Simulated points.
    public var cluster: String?
    /// The cluster file actually simulated: a copy resized to `chips` (`points/<id>/cluster.toml`), or nil for `cluster` itself.
    public var runCluster: String?
    /// The chip named by the cluster file (e.g. `H800`).
    public var chipType: String?
    public var chips: Int?
    public var model: String?
    /// `pp=16,ep=64,dp=128` as passed to the simulator, or ``SimulatedSweep``'s `plan`: the best
    /// configuration `frugal plan` finds at this chip count (then ``plannedParallel`` names it).
    public var parallel: String?
    /// The configuration `frugal plan` chose for a `plan` point (e.g. `tp1 pp8 ep64 dp256 z1
    /// dualpipe mb1 selective fp8 nl4`); nil for a point with a fixed configuration or not yet run.
    public var plannedParallel: String?
    public var schedule: String?
    /// What-if overrides passed as `--set key=value` (e.g. `nvlink=900GB/s`).
    public var settings: [String]?
    /// The curve this point belongs to in scaling charts (points differing only in rank or chip count share it).
    public var series: String?

    public init(id: String, mode: Mode, jobFile: String? = nil, runJobFile: String? = nil, scaling: Scaling? = nil,
                ranks: Int? = nil, repetition: Int? = nil, oversubscribed: Bool = false, cluster: String? = nil,
                chipType: String? = nil, chips: Int? = nil, model: String? = nil, parallel: String? = nil,
                schedule: String? = nil, settings: [String]? = nil, series: String? = nil) {
        self.id = id
        self.mode = mode
        self.jobFile = jobFile
        self.runJobFile = runJobFile
        self.scaling = scaling
        self.ranks = ranks
        self.repetition = repetition
        self.oversubscribed = oversubscribed
        self.cluster = cluster
        self.chipType = chipType
        self.chips = chips
        self.model = model
        self.parallel = parallel
        self.schedule = schedule
        self.settings = settings
        self.series = series
    }

    /// A folder-safe id from parts: letters, digits, `.`, `_` and `-` are kept, anything else becomes `-`.
    public static func makeID(_ parts: [String]) -> String {
        let joined = parts.filter { !$0.isEmpty }.joined(separator: "_")
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        var id = String(joined.map { allowed.contains($0) ? $0 : "-" })
        while id.contains("--") { id = id.replacingOccurrences(of: "--", with: "-") }
        return id
    }
}
