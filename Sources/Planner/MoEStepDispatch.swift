/// One step of a MoE task's expert-parallel dispatch over every rank, as the runtime performs it:
/// per rank, the expert GEMMs it runs (one per received run of rows: per source rank,
/// micro-batch and local expert slot), the rows it receives, and the rows it exchanges with the
/// other ranks; job-wide, each expert's load and the pairs the capacity rule dropped.
/// ``MoEDispatchPlanner`` makes it; `JobLowering` lowers a MoE task's program from it.
public struct MoEStepDispatch: Sendable, Equatable {
    /// `segments` received runs of `rows` rows each (one expert GEMM chain per run).
    public struct Rows: Sendable, Equatable, Comparable {
        public var rows: Int
        public var segments: Int

        public init(rows: Int, segments: Int) {
            self.rows = rows
            self.segments = segments
        }

        public static func < (a: Rows, b: Rows) -> Bool { (a.rows, a.segments) < (b.rows, b.segments) }
    }

    /// One rank's part of the step, all micro-batches together.
    public struct Rank: Sendable, Equatable {
        /// The received runs folded by row count, ascending: runs of equal rows share one entry.
        public var segments: [Rows] = []
        /// Rows this rank's expert slots receive, its own included (the run record's `rowsReceived`).
        public var rowsReceived = 0
        /// Rows sent to other ranks and received from other ranks (its own rows stay local).
        public var rowsSentToPeers = 0
        public var rowsReceivedFromPeers = 0
        /// Across nodes (``MoEDispatchPlanner/nodeRanks``): pairs this rank sends to other nodes'
        /// ranks and receives from them — the rows that cross nodes one per pair (the flat
        /// transports' dispatch, every transport's combine) — and the rows the hierarchical
        /// dispatch sends across (a token once per other node it goes to) and relays in.
        public var pairsSentToOtherNodes = 0
        public var pairsReceivedFromOtherNodes = 0
        public var rowsSentToOtherNodes = 0
        public var rowsRelayedIn = 0
        /// Pairs whose rows this rank relays into its node (the hierarchical combine returns one
        /// row for each).
        public var pairsRelayedIn = 0

        public init() {}
    }

    public var step: Int
    /// By rank.
    public var ranks: [Rank]
    /// Pairs routed to each expert before the capacity rule (the run record's `expertLoads`).
    public var loads: [Int]
    /// Pairs the capacity rule dropped, job-wide (the run record's `droppedPairs`).
    public var droppedPairs: Int
    /// Ranks whose tokens were routed: all of them (then the dispatch is exactly the runtime's), or
    /// a leading sample when routing every rank would cost too much (see ``MoEDispatchPlanner``).
    public var routedRanks: Int
    /// Tokens routed of the one routed rank when routing even one whole rank would cost too much
    /// (a sample, possibly through a narrowed router); nil when whole ranks were routed.
    public var routedTokens: Int?
    /// Nodes the crossing counts (``Rank/rowsSentToOtherNodes`` …) were made for; 1 when they
    /// were not counted (one node, or a sampled step).
    public var nodes = 1

    public init(step: Int, ranks: [Rank], loads: [Int], droppedPairs: Int, routedRanks: Int, routedTokens: Int? = nil) {
        self.step = step
        self.ranks = ranks
        self.loads = loads
        self.droppedPairs = droppedPairs
        self.routedRanks = routedRanks
        self.routedTokens = routedTokens
    }

    /// Whether every token of every rank was routed (the dispatch is then exactly the runtime's).
    public var isExact: Bool { routedRanks == ranks.count && routedTokens == nil }
}
