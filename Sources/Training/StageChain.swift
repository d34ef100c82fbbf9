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

    /// Its layer (−1: the embedding or the head).
    var layer: Int {
        switch self {
        case .embedding, .head, .headBackward, .embeddingBackward: return -1
        case .attention(let l), .denseFfn(let l), .route(let l), .dispatch(let l), .experts(let l), .combine(let l),
             .denseBackward(let l), .combineBackward(let l), .expertsBackward(let l), .dispatchBackward(let l),
             .routeBackward(let l):
            return l
        }
    }

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

/// A forward or backward pass of one pipeline position for one micro-batch: its works in order,
/// taken op by op. A compute op takes the consecutive compute works of the layers it names (a
/// DualPipe pair splits a chain at layer boundaries; −1 names the embedding and the head); the
/// all-to-alls are ops of their own when experts live on several ranks, else compute work.
struct ChainSteps {
    var works: [ChainWork]
    let separateExchanges: Bool
    var next = 0

    init(_ works: [ChainWork], separateExchanges: Bool) {
        self.works = works
        self.separateExchanges = separateExchanges
    }

    /// Whether every work has run.
    var isDone: Bool { next >= works.count }

    private func phase(_ work: ChainWork) -> ChainPhase { separateExchanges ? work.phase : .compute }

    /// The works an op of `phase` naming `layers` (nil: any) runs next.
    mutating func take(_ phase: ChainPhase, layers: Set<Int>?, what: String) throws -> [ChainWork] {
        guard next < works.count else { throw TrainingError.programMismatch("\(what): no \(phase) op left in the chain") }
        guard self.phase(works[next]) == phase else {
            throw TrainingError.programMismatch("\(what): the program asks for \(phase), the chain runs \(self.phase(works[next])) next")
        }
        guard phase == .compute else {
            next += 1
            return [works[next - 1]]
        }
        let first = next
        while next < works.count, self.phase(works[next]) == .compute, layers?.contains(works[next].layer) ?? true { next += 1 }
        guard next > first else {
            throw TrainingError.programMismatch("\(what): the op's layers \(layers.map { $0.sorted() } ?? []) do not include "
                                                + "layer \(works[first].layer), which runs next")
        }
        return Array(works[first..<next])
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
