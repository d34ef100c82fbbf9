/// `C = A · B` with `A` m×k and `B` k×n in single precision, spread over the ranks by
/// ``sharding``, repeated ``repetitions`` times, inputs drawn from ``seed``.
public struct GemmTask: Sendable, Equatable {
    public var name: String
    public var m: Int
    public var n: Int
    public var k: Int
    /// How many times the task runs (timings are medians over repetitions).
    public var repetitions: Int
    /// Seed of the inputs (see ``MatrixGenerator``).
    public var seed: UInt64
    public var sharding: GemmSharding
    /// For `grid` sharding: an explicit process grid (rows × columns), or nil for the most
    /// square factorization of the rank count.
    public var grid: GridShape?
    /// Largest accepted `maxAbsError / max|C|` against the single-rank reference.
    public var tolerance: Double
    /// Whether rank 0 computes the single-rank reference and checks the result.
    public var verify: Bool

    public init(name: String, m: Int, n: Int, k: Int, repetitions: Int = 1, seed: UInt64 = 42,
                sharding: GemmSharding = .rows, grid: GridShape? = nil,
                tolerance: Double? = nil, verify: Bool = true) {
        self.name = name
        self.m = m
        self.n = n
        self.k = k
        self.repetitions = repetitions
        self.seed = seed
        self.sharding = sharding
        self.grid = grid
        self.tolerance = tolerance ?? GemmTask.defaultTolerance(k: k)
        self.verify = verify
    }

    /// Floating-point operations of one repetition: 2·m·n·k.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    /// Default tolerance on `maxAbsError / max|C|`: 4·k·u with u = 2⁻²⁴, the unit roundoff of
    /// Float. Summing k products in a different order (as sharding over k does) changes each
    /// element by at most about k·u·Σ|aᵢbᵢ|; a wrong or missing block gives errors of order 1.
    public static func defaultTolerance(k: Int) -> Double {
        max(1e-6, 4 * Double(k) * 0x1p-24)
    }
}

/// How a GEMM's output is divided among ranks.
public enum GemmSharding: String, CaseIterable, Sendable {
    /// Rank r computes a contiguous block of C's rows; B is assembled on every rank by an
    /// all-gather of its row blocks.
    case rows
    /// Rank r computes a contiguous block of C's columns; A is assembled on every rank by an
    /// all-gather of its row blocks.
    case cols
    /// A 2-D process grid, SUMMA-style: rank (i, j) owns C block (i, j) and blocks of A and B;
    /// panels of A travel along process rows and panels of B along process columns.
    case grid
}

/// A 2-D process grid: `rows × columns` ranks, rank r at (r / columns, r % columns).
public struct GridShape: Sendable, Equatable, CustomStringConvertible {
    public var rows: Int
    public var columns: Int

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    /// The most square grid of `ranks` ranks: rows the largest divisor ≤ √ranks. For a prime
    /// rank count this is 1 × ranks, which is column sharding with SUMMA's communication.
    public static func mostSquare(ranks: Int) -> GridShape {
        var rows = 1
        var candidate = 1
        while candidate * candidate <= ranks {
            if ranks % candidate == 0 { rows = candidate }
            candidate += 1
        }
        return GridShape(rows: rows, columns: ranks / rows)
    }

    public var description: String { "\(rows)x\(columns)" }
}
