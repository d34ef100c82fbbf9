/// Where a step's time goes, averaged over ranks (seconds): every rank's step time is split into
/// compute, optimizer, exposed communication (by kind), pipeline bubble and waiting for slower
/// members of collectives, so the parts add up to the step time.
public struct StepBreakdown: Sendable, Equatable, Codable {
    /// Forward, backward and weight-gradient kernels (tensor-parallel all-reduces excluded).
    public var computeSeconds = 0.0
    /// Optimizer kernels.
    public var optimizerSeconds = 0.0
    /// Communication the compute stream waited for, by kind.
    public var exposedCommunicationSeconds: [String: Double] = [:]
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
