/// The ops of one forward or backward pass of one pipeline position for one micro-batch, in
/// dependency order (each op waits for the one before it), before they are placed on a rank.
struct ChainTemplate: Sendable {
    var kinds: [OperationKind] = []
    var items: [[WorkItem]] = []
    /// Op → segment of the program's work table (after ``flush(into:)``).
    var segments: [Int32] = []
    /// Blocks whose weight gradients the chain completes, with the op that completes each (in
    /// chain order), when the lowering buckets gradients (``endBlock(_:)``); empty otherwise.
    var blockEnds: [(block: Int, op: Int)] = []
    /// Blocks whose weights the chain first uses, with the op that starts each (in chain order),
    /// when the lowering prefetches parameters (``startBlock(_:)``); empty otherwise.
    var blockStarts: [(block: Int, op: Int)] = []
    /// Whether the next compute work starts an op of its own (after ``endBlock(_:)`` or ``startBlock(_:)``).
    private var separate = false

    /// Adds compute work, merging into the previous op when it is compute of the same kind.
    mutating func compute(_ kind: OperationKind, _ work: [WorkItem]) {
        if !separate, let last = kinds.last, last == kind { items[items.count - 1] += work; return }
        separate = false
        kinds.append(kind)
        items.append(work)
    }

    /// Marks the last op as the end of `block`'s gradients: the next compute work gets an op of
    /// its own, so a gradient bucket can wait for this one.
    mutating func endBlock(_ block: Int) {
        guard !kinds.isEmpty else { return }
        blockEnds.append((block, kinds.count - 1))
        separate = true
    }

    /// Adds a communication op.
    mutating func communicate(_ kind: OperationKind, _ work: WorkItem?) {
        kinds.append(kind)
        items.append(work.map { [$0] } ?? [])
    }

    /// Adds work to the last compute op (or a new compute op when there is none).
    mutating func addToLastCompute(_ kind: OperationKind, _ work: [WorkItem]) {
        if let index = kinds.lastIndex(where: { !$0.isCommunication }) { items[index] += work } else { compute(kind, work) }
    }

    /// Marks the next op as the start of `block`'s work (it gets an op of its own), so that it
    /// can wait for the block's parameters.
    mutating func startBlock(_ block: Int) {
        blockStarts.append((block, kinds.count))
        separate = true
    }

    /// Stores the ops' work in `table` as one segment per op.
    mutating func flush(into table: inout WorkTable) {
        segments = items.map { table.append(segment: $0) }
        items = []
    }

    /// Whether `other` (flushed into the same `table`) has the same ops with the same work.
    func sameWork(as other: ChainTemplate, in table: WorkTable) -> Bool {
        kinds == other.kinds && blockEnds.map(\.op) == other.blockEnds.map(\.op) && blockStarts.map(\.op) == other.blockStarts.map(\.op)
            && zip(segments, other.segments).allSatisfy { table.items(of: $0) == table.items(of: $1) }
    }
}
