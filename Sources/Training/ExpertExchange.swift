/// The expert-parallel group's all-to-alls as an MoE layer of a distributed step needs them:
/// ``StageWorker`` sends token rows to the members owning their experts and gets the experts'
/// outputs back. `frugal run` implements it over MPI; one member alone needs no exchange.
public protocol ExpertExchange: AnyObject {
    /// Members of the expert-parallel group.
    var members: Int { get }
    /// This rank's index in the group; member `j` owns experts `j·E/members ..< (j+1)·E/members`.
    var index: Int { get }
    /// Sends `perMember` counts to each member (block `j` of `counts` to member `j`) and returns
    /// the blocks received, in member order.
    func exchangeCounts(_ counts: [Int32], perMember: Int) throws -> [Int32]
    /// Sends `sendCounts[j]` consecutive values of `values` to member `j` and returns the
    /// values received (`receiveCounts[j]` from member `j`), in member order.
    func exchangeRows(_ values: [Float], sendCounts: [Int], receiveCounts: [Int]) throws -> [Float]
}

/// The group of one: every expert is local and nothing moves.
public final class LocalExpertExchange: ExpertExchange {
    public init() {}
    public var members: Int { 1 }
    public var index: Int { 0 }
    public func exchangeCounts(_ counts: [Int32], perMember: Int) throws -> [Int32] { counts }
    public func exchangeRows(_ values: [Float], sendCounts: [Int], receiveCounts: [Int]) throws -> [Float] { values }
}
