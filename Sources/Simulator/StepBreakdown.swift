import Program

/// A part of a step's communication, as the breakdown reports what the compute stream waited for.
public enum CommunicationPart: String, Sendable, Codable, CodingKeyRepresentable, CaseIterable, Comparable {
    /// Expert-parallel all-to-all before the experts (forward dispatch, backward of the combine).
    case allToAllDispatch
    /// Expert-parallel all-to-all after the experts.
    case allToAllCombine
    /// Data-parallel gradient all-reduce or reduce-scatter.
    case gradientSync
    /// ZeRO parameter all-gather.
    case parameterGather
    /// Tensor-parallel all-reduces (analytical estimate).
    case tensorParallel
    /// Pipeline sends between stages.
    case pipelineTransfer
    /// A job task's MPI collective or message.
    case collective

    /// The part a communication op belongs to, or nil for a compute op.
    public init?(_ kind: OperationKind) {
        switch kind {
        case .dispatch, .dispatchBackward: self = .allToAllDispatch
        case .combine, .combineBackward: self = .allToAllCombine
        case .gradientSync: self = .gradientSync
        case .parameterGather: self = .parameterGather
        case .collective: self = .collective
        case .forward, .backward, .weight, .optimizer, .pool: return nil
        }
    }

    /// In the order of their raw values (the order reports list them).
    public static func < (lhs: CommunicationPart, rhs: CommunicationPart) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where a step's time goes, averaged over ranks (seconds): every rank's step time is split into
/// compute, optimizer, exposed communication (by kind), pipeline bubble and waiting for slower
/// members of collectives, so the parts add up to the step time.
public struct StepBreakdown: Sendable, Equatable, Codable {
    /// Forward, backward and weight-gradient kernels (tensor-parallel all-reduces excluded).
    public var computeSeconds = 0.0
    /// Optimizer kernels.
    public var optimizerSeconds = 0.0
    /// Communication the compute stream waited for, by part (a JSON object keyed by the parts'
    /// raw values, e.g. `{"allToAllDispatch": 1.2}`).
    public var exposedCommunicationSeconds: [CommunicationPart: Double] = [:]
    /// Idle time waiting for other pipeline stages (warm-up, drain, uneven stages).
    public var bubbleSeconds = 0.0
    /// Time spent in collectives waiting for members that arrived later (load imbalance, stragglers).
    public var imbalanceWaitSeconds = 0.0

    public init() {}

    /// Sum of all parts.
    public var totalSeconds: Double {
        computeSeconds + optimizerSeconds + exposedCommunicationSeconds.values.reduce(0, +) + bubbleSeconds + imbalanceWaitSeconds
    }
}
