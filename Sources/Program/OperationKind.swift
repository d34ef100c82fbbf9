import Reports

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

    /// Name in traces: the vocabulary the measured run's spans share (``OperationName``).
    public var name: OperationName {
        switch self {
        case .forward: return .forward
        case .backward: return .backward
        case .weight: return .weight
        case .optimizer: return .optimizer
        case .dispatch: return .dispatch
        case .combine: return .combine
        case .dispatchBackward: return .dispatchBackward
        case .combineBackward: return .combineBackward
        case .gradientSync: return .gradientSync
        case .parameterGather: return .parameterGather
        case .collective: return .collective
        case .pool: return .pool
        }
    }

    /// Name in traces and tables (``name``'s text).
    public var label: String { name.rawValue }
    /// The trace thread of the op's stream.
    public var stream: TraceStream { isCommunication ? .communication : .compute }
}
