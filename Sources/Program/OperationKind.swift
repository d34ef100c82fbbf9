/// What an op of the step program does (for the breakdown and the trace).
public enum OperationKind: UInt8, Sendable, CaseIterable {
    case forward, backward, weight, optimizer
    case dispatch, combine, dispatchBackward, combineBackward
    case gradientSync, parameterGather
    /// A job task's MPI collective or message (all-gather, broadcast, gather, send).
    case collective
    /// A job's pool of independent items the ranks share out at run time (a batch task).
    case pool

    /// Whether the op runs on the communication stream.
    public var isCommunication: Bool {
        switch self {
        case .forward, .backward, .weight, .optimizer, .pool: return false
        default: return true
        }
    }

    /// Name in traces.
    public var label: String {
        switch self {
        case .forward: return "F"
        case .backward: return "B"
        case .weight: return "W"
        case .optimizer: return "optimizer"
        case .dispatch: return "dispatch"
        case .combine: return "combine"
        case .dispatchBackward: return "dispatch-bwd"
        case .combineBackward: return "combine-bwd"
        case .gradientSync: return "grad-sync"
        case .parameterGather: return "param-gather"
        case .collective: return "collective"
        case .pool: return "pool"
        }
    }
}
