/// What an op of a rank's program asks of a pipeline chain: compute, or one of the MoE
/// all-to-alls (the runtime times each as its op kind).
public enum ChainPhase: Sendable, Equatable, CustomStringConvertible {
    case compute, dispatch, combine, combineBackward, dispatchBackward

    public var description: String {
        switch self {
        case .compute: return "compute"
        case .dispatch: return "dispatch"
        case .combine: return "combine"
        case .combineBackward: return "combine-bwd"
        case .dispatchBackward: return "dispatch-bwd"
        }
    }
}

/// One piece of a chain's work, in the order it runs.
enum ChainWork: Equatable {
    // Forward.
    case embedding, attention(Int), denseFfn(Int), route(Int), dispatch(Int), experts(Int), combine(Int), head
    // Backward.
    case headBackward, denseBackward(Int), combineBackward(Int), expertsBackward(Int), dispatchBackward(Int)
    case routeBackward(Int), embeddingBackward

    /// The phase it belongs to when the expert group has several members.
    var phase: ChainPhase {
        switch self {
        case .dispatch: return .dispatch
        case .combine: return .combine
        case .combineBackward: return .combineBackward
        case .dispatchBackward: return .dispatchBackward
        default: return .compute
        }
    }
}

/// A forward or backward pass of one pipeline position for one micro-batch: its work grouped
/// into steps, one per op of the program (consecutive compute merges; the all-to-alls are
/// ops of their own when experts live on several ranks, else they run inside compute).
struct ChainSteps {
    var steps: [(phase: ChainPhase, works: [ChainWork])] = []
    var next = 0

    init(_ works: [ChainWork], separateExchanges: Bool) {
        for work in works {
            let phase = separateExchanges ? work.phase : .compute
            if phase == .compute, let last = steps.last, last.phase == .compute {
                steps[steps.count - 1].works.append(work)
            } else {
                steps.append((phase, [work]))
            }
        }
    }

    /// Whether every step has run.
    var isDone: Bool { next >= steps.count }

    /// The next step's work, if it is of `phase`.
    mutating func take(_ phase: ChainPhase, what: String) throws -> [ChainWork] {
        guard next < steps.count else { throw TrainingError.programMismatch("\(what): no \(phase) op left in the chain") }
        guard steps[next].phase == phase else {
            throw TrainingError.programMismatch("\(what): the program asks for \(phase), the chain runs \(steps[next].phase) next")
        }
        next += 1
        return steps[next - 1].works
    }

    /// The forward works of `blocks` (first and last positions add the embedding and the head).
    static func forward(blocks: [Int], first: Bool, last: Bool, model: TrainingModel) -> [ChainWork] {
        var works: [ChainWork] = first ? [.embedding] : []
        for block in blocks {
            works.append(.attention(block))
            works += model.isMoELayer(block) ? [.route(block), .dispatch(block), .experts(block), .combine(block)]
                                             : [.denseFfn(block)]
        }
        return works + (last ? [.head] : [])
    }

    /// The backward works of `blocks`, last block first.
    static func backward(blocks: [Int], first: Bool, last: Bool, model: TrainingModel) -> [ChainWork] {
        var works: [ChainWork] = last ? [.headBackward] : []
        for block in blocks.reversed() {
            works += model.isMoELayer(block)
                ? [.combineBackward(block), .expertsBackward(block), .dispatchBackward(block), .routeBackward(block)]
                : [.denseBackward(block)]
        }
        return works + (first ? [.embeddingBackward] : [])
    }
}
