import Workload

/// How one GEMM task is spread over `ranks` ranks: which block of C each rank computes, which
/// blocks of A and B it generates (owns) before communication, and, for grid sharding, the
/// SUMMA panel sequence.
///
/// - `rows`: rank r owns A rows `rowParts[r]` and B rows `kParts[r]`; an all-gather assembles
///   B; rank r computes C rows `rowParts[r]`, all columns.
/// - `cols`: rank r owns A rows `rowParts[r]` and B columns `columnParts[r]` (all k rows); an
///   all-gather assembles A; rank r computes C columns `columnParts[r]`, all rows.
/// - `grid` on a `rows × columns` process grid: rank (i, j) owns A block (rowParts[i], kOfA[j]),
///   B block (kOfB[i], columnParts[j]) and computes C block (rowParts[i], columnParts[j]). The
///   k axis is cut at the union of both partitions' boundaries: within each panel the A owner is
///   one process column and the B owner one process row, which broadcast it along their
///   process row and column respectively (generalized SUMMA).
public struct GemmPlan: Sendable, Equatable {
    public let task: GemmTask
    public let ranks: Int
    /// The process grid (`ranks × 1` for rows, `1 × ranks` for cols).
    public let grid: GridShape

    public init(task: GemmTask, ranks: Int) {
        precondition(ranks >= 1, "GemmPlan: ranks ≥ 1")
        self.task = task
        self.ranks = ranks
        switch task.sharding {
        case .rows: grid = GridShape(rows: ranks, columns: 1)
        case .cols: grid = GridShape(rows: 1, columns: ranks)
        case .grid: grid = task.grid ?? GridShape.mostSquare(ranks: ranks)
        }
        precondition(grid.rows * grid.columns == ranks, "GemmPlan: grid \(grid) does not hold \(ranks) ranks")
    }

    /// Position of `rank` in the grid.
    public func coordinates(of rank: Int) -> (row: Int, column: Int) { (rank / grid.columns, rank % grid.columns) }

    /// C rows split over process rows.
    public var rowPartition: BlockPartition { BlockPartition(count: task.m, parts: grid.rows) }
    /// C columns split over process columns.
    public var columnPartition: BlockPartition { BlockPartition(count: task.n, parts: grid.columns) }

    /// The block of C that `rank` computes.
    public func outputBlock(of rank: Int) -> MatrixBlock {
        let (row, column) = coordinates(of: rank)
        return MatrixBlock(rows: rowPartition.range(row), columns: columnPartition.range(column))
    }

    /// The block of A that `rank` generates before any communication.
    public func ownedBlockOfA(_ rank: Int) -> MatrixBlock {
        switch task.sharding {
        case .rows, .cols:
            return MatrixBlock(rows: BlockPartition(count: task.m, parts: ranks).range(rank), columns: 0..<task.k)
        case .grid:
            let (row, column) = coordinates(of: rank)
            return MatrixBlock(rows: rowPartition.range(row), columns: kPartitionOfA.range(column))
        }
    }

    /// The block of B that `rank` generates before any communication.
    public func ownedBlockOfB(_ rank: Int) -> MatrixBlock {
        switch task.sharding {
        case .rows:
            return MatrixBlock(rows: BlockPartition(count: task.k, parts: ranks).range(rank), columns: 0..<task.n)
        case .cols:
            return MatrixBlock(rows: 0..<task.k, columns: columnPartition.range(rank))
        case .grid:
            let (row, column) = coordinates(of: rank)
            return MatrixBlock(rows: kPartitionOfB.range(row), columns: columnPartition.range(column))
        }
    }

    /// Grid sharding: k split over process columns (A's owners).
    public var kPartitionOfA: BlockPartition { BlockPartition(count: task.k, parts: grid.columns) }
    /// Grid sharding: k split over process rows (B's owners).
    public var kPartitionOfB: BlockPartition { BlockPartition(count: task.k, parts: grid.rows) }

    /// Grid sharding: the SUMMA panels of k, in order, each with the process column that owns
    /// A's panel and the process row that owns B's panel.
    public var summaPanels: [SummaPanel] {
        var cuts = Set([0, task.k])
        for range in kPartitionOfA.ranges { cuts.insert(range.lowerBound) }
        for range in kPartitionOfB.ranges { cuts.insert(range.lowerBound) }
        let sorted = cuts.sorted()
        var panels: [SummaPanel] = []
        for (start, end) in zip(sorted, sorted.dropFirst()) where end > start {
            panels.append(SummaPanel(k: start..<end,
                                     ownerColumnOfA: kPartitionOfA.part(containing: start),
                                     ownerRowOfB: kPartitionOfB.part(containing: start)))
        }
        return panels
    }

    /// Floating-point operations of `rank`'s block, one repetition.
    public func flops(of rank: Int) -> Double {
        let block = outputBlock(of: rank)
        return 2 * Double(block.rows.count) * Double(block.columns.count) * Double(task.k)
    }
}

/// A rectangle of a matrix: `rows × columns`, half-open ranges.
public struct MatrixBlock: Sendable, Equatable, CustomStringConvertible {
    public var rows: Range<Int>
    public var columns: Range<Int>

    public init(rows: Range<Int>, columns: Range<Int>) {
        self.rows = rows
        self.columns = columns
    }

    public var elementCount: Int { rows.count * columns.count }
    public var description: String {
        "[\(rows.lowerBound)..<\(rows.upperBound), \(columns.lowerBound)..<\(columns.upperBound)]"
    }
}

/// One step of SUMMA: the k range of the panel and who owns its A and B parts.
public struct SummaPanel: Sendable, Equatable {
    public var k: Range<Int>
    public var ownerColumnOfA: Int
    public var ownerRowOfB: Int
}
