/// The ranks of a step spread over the processes of a distributed simulation, in blocks that keep
/// every expert- and tensor-parallel group inside one process. Preferably by columns (whole
/// data-parallel replicas, in units of lcm(ep, tp) columns): a process then runs its replicas
/// through the whole step and waits for the others only at the data-parallel collectives that
/// end it. Else, when there are fewer such units than processes, by blocks of pipeline stages:
/// then the pipeline transfers between blocks cross processes too.
public struct RankPartition: Sendable, Equatable {
    /// Processes taking part, and this one.
    public let processes: Int
    public let process: Int
    /// Pipeline stages, and the columns (ranks per stage) of the program being split.
    public let pp: Int
    public let columns: Int
    /// Columns that must stay together (lcm(ep, tp)), when splitting by columns.
    public let unit: Int
    /// Whether the split is by columns (else by stages).
    public let byColumns: Bool

    /// A partition of `pp` stages × `columns` columns over `processes`, or nil when neither the
    /// units of columns nor the stages are at least as many as the processes.
    public init?(processes: Int, process: Int, pp: Int, columns: Int, unit: Int) {
        guard processes >= 1, (0..<processes).contains(process), pp >= 1, unit >= 1, columns % unit == 0 else { return nil }
        self.processes = processes
        self.process = process
        self.pp = pp
        self.columns = columns
        self.unit = unit
        if columns / unit >= processes {
            byColumns = true
        } else if pp >= processes {
            byColumns = false
        } else {
            return nil
        }
    }

    /// The stages `process` simulates.
    public func stages(of process: Int) -> Range<Int> {
        byColumns ? 0..<pp : Self.block(process, of: processes, over: pp)
    }

    /// The columns `process` simulates.
    public func columns(of process: Int) -> Range<Int> {
        guard byColumns else { return 0..<columns }
        let units = Self.block(process, of: processes, over: columns / unit)
        return units.lowerBound * unit..<units.upperBound * unit
    }

    /// The process simulating the rank at (`stage`, `column`).
    public func process(stage: Int, column: Int) -> Int {
        byColumns ? column / unit * processes / (columns / unit) : stage * processes / pp
    }

    /// This process's stages and columns.
    public var stages: Range<Int> { stages(of: process) }
    public var columnRange: Range<Int> { columns(of: process) }

    /// Part `part` of `count` items split into `parts` contiguous blocks (part p holds the items
    /// i with ⌊i·parts / count⌋ = p).
    static func block(_ part: Int, of parts: Int, over count: Int) -> Range<Int> {
        (part * count + parts - 1) / parts..<((part + 1) * count + parts - 1) / parts
    }
}
