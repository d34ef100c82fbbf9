/// How a MoE task's dispatch and combine move token rows between ranks (docs/running-jobs.md,
/// "MoE transports"). The runtime resolves ``auto`` to one of the others and records it.
public enum MoETransport: String, Sendable, Equatable, CaseIterable {
    /// `window` when every rank shares one host and one virtual node, `hierarchical` when the
    /// ranks span several nodes (virtual or real), `alltoallv` where windows are not available.
    case auto
    /// One copy per row each way through shared-memory windows: the sender writes each row into
    /// its receiver's region, the combine reads the experts' outputs where they lie. Every rank
    /// on one host.
    case window
    /// DeepEP's internode scheme: a token row crosses the inter-node hop (MPI) once per
    /// destination node, to the rank of that node with the sender's local index, which forwards
    /// it through the node's windows; the combine returns each expert output by the same route.
    case hierarchical
    /// Pack, `MPI_Ialltoallv`, experts, `MPI_Ialltoallv` back (own rows stay off MPI).
    case alltoallv
}
