/// What one piece of work inside an op does: a kernel on the compute stream or a transfer on the
/// communication stream. Its size is in the ``WorkItem`` (shapes, bytes or FLOPs); its duration is
/// not in the program at all: an executor costs it (the simulator) or runs it (the runtime).
public enum WorkKind: UInt8, Sendable, CaseIterable, Codable {
    /// One m×n×k matrix multiply (2·m·n·k FLOPs).
    case gemm
    /// One expert's m×n×k multiply of a grouped GEMM (m: the rows routed to that expert).
    case groupedGemm
    /// The MoE router: an m×n×k score GEMM (n experts) plus `bytes` of score post-processing.
    case gate
    /// An attention kernel's forward or backward pass: `flops` of work.
    case attentionForward, attentionBackward
    /// A memory-bound kernel moving `bytes` (which one: ``ElementwiseKind``).
    case elementwise
    /// A pipeline transfer of `bytes` to or from a peer stage.
    case pipelineSend, pipelineReceive
    /// The MoE all-to-alls over the expert-parallel group: m tokens of n hidden, top-k k, `bytes`
    /// sent per rank; which rank receives what comes from the routing (``WorkItem/route``).
    case dispatch, combine
    /// Collectives over a named group (``ProcessGroup``) of `bytes` per rank.
    case allReduce, reduceScatter, allGather, broadcast, gather
    /// The optimizer step over `bytes` of optimizer state traffic.
    case optimizerUpdate
    /// A point-to-point message of `bytes` to one peer (a job's gather: a rank sends its block to the root).
    case send

    /// Whether the work is a transfer.
    public var isCommunication: Bool {
        switch self {
        case .pipelineSend, .pipelineReceive, .dispatch, .combine, .allReduce, .reduceScatter, .allGather, .broadcast, .gather, .send:
            return true
        default: return false
        }
    }

    /// Name in `frugal program`.
    public var label: String { String(describing: self) }
}

/// Which memory-bound kernel an ``WorkKind/elementwise`` item is.
public enum ElementwiseKind: UInt8, Sendable, CaseIterable, Codable {
    case none, norm, residual, swiglu, cast, permute, embedding, loss, recompute, copy
    /// Unfused kernels (a software profile without fusion): the attention softmax over
    /// materialised scores, a bias add and a dropout.
    case softmax, bias, dropout
}

/// The group a collective runs over (its members are the ranks that share the other coordinates;
/// see ``RankLayout``).
public enum ProcessGroup: UInt8, Sendable, CaseIterable, Codable {
    case none, tensor, expert, data, expertData, pipeline, world
    /// A context-parallel group (one sequence's chunks; its ring rides inside the attention item).
    case context
    /// Rows of a process grid (SUMMA) and its columns.
    case gridRow, gridColumn
}

/// Numeric format of a work item's operands.
public enum WorkPrecision: UInt8, Sendable, CaseIterable, Codable {
    case fp32, bf16, fp8
}

/// The program's enums are written by name in JSON (`"gemm"`, `"expert"`), not by number.
protocol NamedCodable: Codable, CaseIterable, RawRepresentable where RawValue == UInt8 {}

extension NamedCodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(describing: self))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let value = Self.allCases.first(where: { String(describing: $0) == name }) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown name '\(name)'")
        }
        self = value
    }
}

extension WorkKind: NamedCodable {}
extension ElementwiseKind: NamedCodable {}
extension ProcessGroup: NamedCodable {}
extension WorkPrecision: NamedCodable {}
