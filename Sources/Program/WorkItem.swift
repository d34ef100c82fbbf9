/// One piece of work of an op, with its size and no duration.
public struct WorkItem: Sendable, Equatable, Codable {
    public var kind: WorkKind
    /// GEMM: m×n×k. Attention: m tokens (with a context-parallel ring, n its steps: ``setContextRing(steps:bytesPerStep:ranksPerNode:nodes:)``).
    /// All-to-all: m tokens, n hidden, k top-k.
    public var m = 0.0, n = 0.0, k = 0.0
    /// Bytes moved (memory-bound kernels, collectives: per rank; GEMMs: 0).
    public var bytes = 0.0
    /// FLOPs (attention kernels; GEMMs: 2·m·n·k, filled in for reports).
    public var flops = 0.0
    public var precision = WorkPrecision.bf16
    public var elementwise = ElementwiseKind.none
    public var group = ProcessGroup.none
    /// A collective's group placement: members per node and nodes spanned (0 when not a collective).
    public var ranksPerNode: Int32 = 0, nodes: Int32 = 0
    /// The layer (block) the work belongs to, or −1.
    public var layer: Int32 = -1
    /// All-to-alls: the routing (index into the program's routes), or −1.
    public var route: Int32 = -1
    /// How many times the kernel runs with these sizes (the experts of a grouped GEMM that
    /// receive the same number of rows); its cost and FLOPs count that many times.
    public var repeats: Int32 = 1
    /// A collective hidden under the GEMMs of its op as far as they last (tensor-parallel
    /// communication overlap): the op exposes only what outlasts them
    /// (``OpCostModel``'s `seconds(of:routes:)`).
    public var overlapped = false

    public init(kind: WorkKind) { self.kind = kind }

    /// An m×n×k GEMM.
    public static func gemm(_ m: Double, _ n: Double, _ k: Double, precision: WorkPrecision, layer: Int = -1,
                            grouped: Bool = false, repeats: Int32 = 1) -> WorkItem {
        var item = WorkItem(kind: grouped ? .groupedGemm : .gemm)
        item.m = m; item.n = n; item.k = k; item.flops = 2 * m * n * k
        item.precision = precision; item.layer = Int32(layer); item.repeats = repeats
        return item
    }

    /// Makes an attention item a context-parallel ring attention (ring attention, as Megatron-Core's
    /// `p2p` context-parallel communication does it): `steps` (= cp) rounds, in each after the
    /// first the rank sends the key/value chunk it holds (`bytesPerStep`) to the next member and
    /// receives one from the previous, overlapped with its attention on the chunk it has; the group
    /// is placed `ranksPerNode` × `nodes`.
    public mutating func setContextRing(steps: Int, bytesPerStep: Double, ranksPerNode: Int, nodes: Int) {
        n = Double(steps); bytes = bytesPerStep; group = .context
        self.ranksPerNode = Int32(clamping: ranksPerNode); self.nodes = Int32(clamping: nodes)
    }

    /// A memory-bound kernel moving `bytes`.
    public static func memory(_ kind: ElementwiseKind, bytes: Double, layer: Int = -1) -> WorkItem {
        var item = WorkItem(kind: .elementwise)
        item.elementwise = kind; item.bytes = bytes; item.layer = Int32(layer)
        return item
    }

    /// A collective of `bytes` per rank over `group`, placed `ranksPerNode` × `nodes`.
    public static func collective(_ kind: WorkKind, group: ProcessGroup, bytes: Double, ranksPerNode: Int, nodes: Int,
                                  layer: Int = -1) -> WorkItem {
        var item = WorkItem(kind: kind)
        item.group = group; item.bytes = bytes; item.layer = Int32(layer)
        item.ranksPerNode = Int32(clamping: ranksPerNode); item.nodes = Int32(clamping: nodes)
        return item
    }
}

/// Work items in flat arrays, grouped into segments (the work of one op). Ops that do the same
/// work (the same block on ranks at the same place of different groups) share a segment.
public struct WorkTable: Sendable {
    public private(set) var items: [WorkItem] = []
    /// Segment → first item; `segmentStart[segments]` = item count.
    public private(set) var segmentStart: [Int32] = [0]

    public init() {}

    /// Number of segments.
    public var segmentCount: Int { segmentStart.count - 1 }

    /// Appends a segment and returns its index.
    public mutating func append(segment: [WorkItem]) -> Int32 {
        items.append(contentsOf: segment)
        segmentStart.append(Int32(items.count))
        return Int32(segmentStart.count - 2)
    }

    /// The items of `segment`.
    public func items(of segment: Int32) -> ArraySlice<WorkItem> {
        guard segment >= 0 else { return [] }
        return items[Int(segmentStart[Int(segment)])..<Int(segmentStart[Int(segment) + 1])]
    }
}

/// How an MoE layer's tokens spread over the expert-parallel group: each member's share of the
/// routed (token, expert) pairs, and the node limit of the router.
public struct Route: Sendable, Equatable, Codable {
    /// Member → share of all routed pairs its experts receive (sums to 1).
    public var hostShare: [Double]
    /// Most nodes a token's experts may span (0: unlimited).
    public var nodeLimit: Int
    /// GPUs per node of the cluster the group sits on.
    public var gpusPerNode: Int
    /// Most GPUs a token's experts may span, each reached once (0: unlimited, every routed pair travels).
    public var deviceLimit = 0

    public init(hostShare: [Double], nodeLimit: Int, gpusPerNode: Int, deviceLimit: Int = 0) {
        self.hostShare = hostShare
        self.nodeLimit = nodeLimit
        self.gpusPerNode = gpusPerNode
        self.deviceLimit = deviceLimit
    }
}
