/// Where the routed experts live: `slotsPerRank` expert slots on each rank, each slot holding
/// one logical expert; an expert may have several replicas (EPLB's redundant experts).
///
/// The contiguous placement puts `experts / ranks` consecutive experts on each rank, so with
/// `gpusPerNode` ranks per virtual node, expert group g (experts `g·E/G ..< (g+1)·E/G`) lives
/// exactly on virtual node g and group-limited routing is node-limited routing.
public struct ExpertPlacement: Sendable, Equatable {
    public let experts: Int
    public let ranks: Int
    /// The logical expert in each slot; slot s is on rank `s / slotsPerRank`.
    public let slotExpert: [Int]

    /// One slot per expert, `experts / ranks` consecutive experts per rank.
    public init(experts: Int, ranks: Int) {
        precondition(ranks >= 1 && experts % ranks == 0, "ExpertPlacement: experts must be a multiple of ranks")
        self.init(experts: experts, ranks: ranks, slotExpert: Array(0..<experts))
    }

    /// An explicit slot map (every expert in at least one slot, slots a multiple of ranks).
    public init(experts: Int, ranks: Int, slotExpert: [Int]) {
        precondition(slotExpert.count % ranks == 0, "ExpertPlacement: slots must be a multiple of ranks")
        precondition(Set(slotExpert) == Set(0..<experts), "ExpertPlacement: every expert needs a slot")
        self.experts = experts
        self.ranks = ranks
        self.slotExpert = slotExpert
        var replicas = [[Int]](repeating: [], count: experts)
        for (slot, expert) in slotExpert.enumerated() { replicas[expert].append(slot) }
        self.replicas = replicas
    }

    /// Slots holding each expert, in slot order.
    public let replicas: [[Int]]

    public var slotsPerRank: Int { slotExpert.count / ranks }
    /// The rank holding `slot`.
    public func rank(ofSlot slot: Int) -> Int { slot / slotsPerRank }
    /// `slot`'s index among its rank's slots.
    public func localSlot(_ slot: Int) -> Int { slot % slotsPerRank }
    /// The logical experts in `rank`'s slots, in slot order.
    public func experts(on rank: Int) -> [Int] { Array(slotExpert[(rank * slotsPerRank)..<((rank + 1) * slotsPerRank)]) }

    /// The slot serving pair number `pair` (any stable global numbering) of `expert`:
    /// replicas take turns, so an expert's load splits evenly across them.
    public func slot(for expert: Int, pair: Int) -> Int {
        let candidates = replicas[expert]
        return candidates[pair % candidates.count]
    }

    /// The rank holding `expert` when it has exactly one replica (the contiguous placement).
    public func owner(of expert: Int) -> Int { rank(ofSlot: replicas[expert][0]) }
}
