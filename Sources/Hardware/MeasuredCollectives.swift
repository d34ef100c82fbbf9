import Config

/// Collective times `frugal calibrate --job` measured at a job's own sizes (a cluster file's
/// `[measured]` table: `reduceScatter = [{ bytes, seconds }, …]`, `allGather = [ … ]`), which
/// price a job's data-parallel collectives instead of the alpha-beta link model: on a shared-memory
/// host MPI's reduce-scatter also adds and waits for the slower rank's copies, several times what
/// one link's bandwidth gives.
public struct MeasuredCollectives: Sendable, Equatable {
    /// One measurement: `bytes` per rank (reduce-scatter: the buffer each rank contributes;
    /// all-gather: the gathered total) took `seconds` (the slowest rank's median).
    public struct Point: Sendable, Equatable {
        public var bytes: Double, seconds: Double
        public init(bytes: Double, seconds: Double) {
            self.bytes = bytes
            self.seconds = seconds
        }
    }

    /// Points in increasing size (no two of one size).
    public var reduceScatter: [Point] = []
    public var allGather: [Point] = []

    public init(reduceScatter: [Point] = [], allGather: [Point] = []) {
        self.reduceScatter = reduceScatter.sorted { $0.bytes < $1.bytes }
        self.allGather = allGather.sorted { $0.bytes < $1.bytes }
    }

    /// Seconds of a collective moving `bytes` from `points`: linear between the two measured
    /// sizes around it, proportional to the nearest one's rate outside them; nil without points.
    public static func seconds(bytes: Double, in points: [Point]) -> Double? {
        guard let first = points.first, let last = points.last else { return nil }
        if bytes <= first.bytes { return first.seconds * bytes / first.bytes }
        if bytes >= last.bytes { return last.seconds * bytes / last.bytes }
        guard let upper = points.firstIndex(where: { $0.bytes >= bytes }), upper > 0 else { return nil }
        let a = points[upper - 1], b = points[upper]
        return a.seconds + (bytes - a.bytes) / (b.bytes - a.bytes) * (b.seconds - a.seconds)
    }

    /// Decodes a `[measured]` table.
    public init(table: ConfigTable) throws(ConfigError) {
        try table.rejectUnknownKeys(allowed: ["reduceScatter", "allGather"])
        self.init(reduceScatter: try Self.points(table, "reduceScatter"), allGather: try Self.points(table, "allGather"))
    }

    private static func points(_ table: ConfigTable, _ key: String) throws(ConfigError) -> [Point] {
        let tables = try table.tableArray(key)
        guard tables.count <= HardwareBounds.maxPoints else {
            throw table.error(key, expected: "at most \(HardwareBounds.maxPoints) points", found: "\(tables.count)")
        }
        var points: [Point] = []
        for point in tables {
            try point.rejectUnknownKeys(allowed: ["bytes", "seconds"])
            points.append(Point(bytes: try point.double("bytes", in: HardwareBounds.measuredBytes),
                                seconds: try point.double("seconds", in: HardwareBounds.measuredSeconds)))
        }
        let sizes = points.map(\.bytes).sorted()
        for (a, b) in zip(sizes, sizes.dropFirst()) where a == b {
            throw table.error(key, expected: "points of distinct bytes", found: "bytes = \(Bound.describe(a)) twice")
        }
        return points
    }
}
