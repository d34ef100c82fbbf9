/// The ops of one forward or backward pass of one pipeline position for one micro-batch, in
/// dependency order (each op waits for the one before it), before they are placed on a rank.
struct ChainTemplate: Sendable {
    var kinds: [OperationKind] = []
    var durations: [Double] = []

    /// Adds compute seconds, merging into the previous op when it is compute of the same kind.
    mutating func compute(_ kind: OperationKind, _ seconds: Double) {
        if let last = kinds.last, last == kind { durations[durations.count - 1] += seconds; return }
        kinds.append(kind)
        durations.append(seconds)
    }

    /// Adds a communication op.
    mutating func communicate(_ kind: OperationKind, _ seconds: Double) {
        kinds.append(kind)
        durations.append(seconds)
    }

    /// Adds seconds to the last compute op (or a new compute op when there is none).
    mutating func addToLastCompute(_ kind: OperationKind, _ seconds: Double) {
        if let index = kinds.lastIndex(where: { !$0.isCommunication }) { durations[index] += seconds } else { compute(kind, seconds) }
    }
}
