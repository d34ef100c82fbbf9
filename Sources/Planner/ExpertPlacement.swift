/// Where each routed expert lives: `experts / ranks` consecutive experts per rank, so with
/// `ranksPerNode` ranks per virtual node, expert group g (experts `g·E/G ..< (g+1)·E/G`)
/// lives exactly on virtual node g and group-limited routing is node-limited routing.
public struct ExpertPlacement: Sendable, Equatable {
    public let experts: Int
    public let ranks: Int

    public init(experts: Int, ranks: Int) {
        precondition(ranks >= 1 && experts % ranks == 0, "ExpertPlacement: experts must be a multiple of ranks")
        self.experts = experts
        self.ranks = ranks
    }

    /// Experts per rank.
    public var expertsPerRank: Int { experts / ranks }
    /// The rank holding `expert`.
    public func owner(of expert: Int) -> Int { expert / expertsPerRank }
    /// `expert`'s index among its owner's experts.
    public func localIndex(of expert: Int) -> Int { expert % expertsPerRank }
    /// The experts `rank` holds.
    public func experts(on rank: Int) -> Range<Int> { (rank * expertsPerRank)..<((rank + 1) * expertsPerRank) }
}
