import Kernels

/// Where one micro-batch's token rows are packed, received, computed and read back, whichever
/// transport moves them (``MoETransportChoice``): the one internal type that holds the raw
/// pointers of the exchange.
///
/// - alltoallv: rows for other ranks are packed into the send buffer and own rows straight into
///   the receive buffer; the experts read the receive buffer and write the expert output buffer;
///   results come back into the returned buffer (own results are read where the experts wrote
///   them). See ``RowExchange``.
/// - window: every row for another rank is packed straight into its receiver's row region
///   (``WindowBuffers``); the experts read their own row region — and, in the forward pass, the
///   rank's own rows in place in the token matrix (``inputRows(ownFrom:positions:topK:)``) — and
///   write their own output region; results are read in their receivers' output regions.
/// - hierarchical: as window inside this rank's node; rows for other nodes go through their
///   relays (``HierarchicalExchange``) and their results are read where the combine returned them
///   (``CrossingRows``).
///
/// Either way the receiver's layout is the same (source runs in rank order, each by expert
/// slot), so the experts compute the same rows in the same order: outputs are bit-identical.
struct MicroBatchRows {
    let exchange: RowExchange
    let hidden: Int
    /// Rows this rank's experts receive (its own included).
    let receivedRows: Int
    private let send: UnsafeMutablePointer<Float>
    private let returned: UnsafePointer<Float>
    private let receive: UnsafeMutablePointer<Float>
    private let expertOutput: UnsafeMutablePointer<Float>
    /// Window transports: every rank's row and output regions, by rank (on hierarchical, those of
    /// this rank's node; another node's ranks are never written here); empty on alltoallv.
    private let peerRows: [UnsafeMutablePointer<Float>]
    private let peerOutputs: [UnsafePointer<Float>]
    /// Hierarchical: the results of pairs that crossed nodes (nil on the other transports).
    let crossing: CrossingRows?

    /// The alltoallv transport's rows, in `buffers` (reserved for this micro-batch).
    init(exchange: RowExchange, buffers: DispatchBuffers, hidden: Int) {
        self.exchange = exchange
        self.hidden = hidden
        receivedRows = exchange.receiveCounts.reduce(0, +)
        // A CommBuffer's memory stays where it is while the buffer lives (a buffer of no elements
        // still has an address), and `buffers` keeps them for the micro-batch.
        send = buffers.sendRows.withUnsafeMutableBufferPointer { $0.baseAddress! }
        returned = buffers.combineReceive.withUnsafeBufferPointer { $0.baseAddress! }
        receive = buffers.receiveRows.withUnsafeMutableBufferPointer { $0.baseAddress! }
        expertOutput = buffers.combineSend.withUnsafeMutableBufferPointer { $0.baseAddress! }
        peerRows = []
        peerOutputs = []
        crossing = nil
    }

    /// The window transports' rows, in `windows` (reserved for this micro-batch): its ranks are
    /// the exchange's (window), or on hierarchical (`layout`, `crossing`) those of this rank's node.
    init(exchange: RowExchange, windows: WindowBuffers, hidden: Int, layout: NodeLayout? = nil, crossing: CrossingRows? = nil) {
        self.exchange = exchange
        self.hidden = hidden
        self.crossing = crossing
        receivedRows = exchange.receiveCounts.reduce(0, +)
        let me = exchange.rank
        // The window rank of each rank: itself, or its node-local index in this rank's node.
        let windowRank = exchange.sendCounts.indices.map { rank in
            guard let layout else { return rank }
            return layout.nodeOf[rank] == layout.nodeOf[me] ? layout.localIndex[rank] : layout.localIndex[me]
        }
        peerRows = windowRank.map { windows.rowRegion(of: $0) }
        peerOutputs = windowRank.map { UnsafePointer(windows.outputRegion(of: $0)) }
        receive = peerRows[me]
        send = receive
        returned = UnsafePointer(receive)
        expertOutput = windows.outputRegion(of: windowRank[me])
    }

    /// Whether rows travel through shared windows.
    var isWindow: Bool { !peerRows.isEmpty }

    /// Where the row at send position `position` is packed.
    @inline(__always)
    func packTarget(_ position: Int) -> UnsafeMutablePointer<Float> {
        if isWindow {
            let (rank, row) = exchange.remoteRow(position)
            return peerRows[rank] + row * hidden
        }
        return exchange.packTarget(position, send: send, receive: receive, hidden: hidden)
    }

    /// Packs every kept pair in pair order (`positions[pair]` its send position, < 0 dropped;
    /// `skip(position)` true for pairs packed elsewhere): `fill(pair, target)` writes the pair's
    /// row at its ``packTarget(_:)``. On windows the next pair's target is prefetched for writing
    /// while this one is written (``RowPrefetch``: each lands in a receiver's region on a page of
    /// its own).
    func pack(_ positions: [Int], skip: (Int) -> Bool = { _ in false },
              fill: (_ pair: Int, _ target: UnsafeMutablePointer<Float>) -> Void) {
        let rowBytes = hidden * MemoryLayout<Float>.stride
        var pending: (pair: Int, target: UnsafeMutablePointer<Float>)?
        for (pair, position) in positions.enumerated() where position >= 0 && !skip(position) {
            let target = packTarget(position)
            if isWindow { RowPrefetch.forWriting(target, bytes: rowBytes) }
            if let pending { fill(pending.pair, pending.target) }
            pending = (pair, target)
        }
        if let pending { fill(pending.pair, pending.target) }
    }

    /// Where the result for send position `position` is after the combine.
    @inline(__always)
    func resultRow(_ position: Int) -> UnsafePointer<Float> {
        if let crossing, crossing.returnedRow[position] >= 0 { return crossing.base + crossing.returnedRow[position] * hidden }
        if isWindow {
            let (rank, row) = exchange.remoteRow(position)
            return peerOutputs[rank] + row * hidden
        }
        return exchange.resultRow(position, returned: returned, expertOutput: UnsafePointer(expertOutput), hidden: hidden)
    }

    /// Window transports: the row `row` of `rank`'s region (on hierarchical a rank of this rank's node).
    func rowRegion(_ rank: Int, row: Int) -> UnsafeMutablePointer<Float> { peerRows[rank] + row * hidden }

    /// Hierarchical: the expert output at row `row` of `rank`'s output region (a rank of this node).
    func outputRow(_ rank: Int, row: Int) -> UnsafePointer<Float> { peerOutputs[rank] + row * hidden }

    /// Whether send position `position` is one of this rank's own rows (its run to itself).
    @inline(__always)
    func isOwn(_ position: Int) -> Bool { exchange.destination(of: position) == exchange.rank }

    /// Every row of the receive buffer (this rank's row region on windows), in receive order: where
    /// the experts read their rows when nothing is read in place (the alltoallv transport).
    var receivedRowTable: [UnsafePointer<Float>] { (0..<receivedRows).map { UnsafePointer(receive + $0 * hidden) } }

    /// Where the experts read each received row in the forward pass, in receive order: the
    /// receive buffer (``receivedRowTable``), except on the window transports this rank's own rows,
    /// read in place from `x`, the micro-batch's token rows (pair `p` with send position
    /// `positions[p]` is token `p / topK`'s row): the forward dispatch does not copy them
    /// (``pack(_:skip:fill:)`` with ``isOwn(_:)``). The pointers into `x` are valid while `x` is.
    func inputRows(ownFrom x: UnsafePointer<Float>, positions: [Int], topK: Int) -> [UnsafePointer<Float>] {
        var rows = receivedRowTable
        guard isWindow else { return rows }
        for (pair, position) in positions.enumerated() where position >= 0 && isOwn(position) {
            rows[exchange.remoteRow(position).row] = x + (pair / topK) * hidden
        }
        return rows
    }

    /// The rows at `rows` copied into one array, in order (what a backward pass keeps).
    static func gathered(_ rows: [UnsafePointer<Float>], hidden: Int) -> [Float] {
        var copy: [Float] = []
        copy.reserveCapacity(rows.count * hidden)
        for row in rows { copy.append(contentsOf: UnsafeBufferPointer(start: row, count: hidden)) }
        return copy
    }

    /// The receive buffer (this rank's row region on windows), in receive order: every row the
    /// experts receive, except after a forward window dispatch, which leaves the own run unwritten
    /// (read ``inputRows(ownFrom:positions:topK:)`` there). The backward reads its gradients here.
    var input: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: receive, count: receivedRows * hidden) }

    /// Where this rank's experts write their outputs (the same rows).
    var output: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: expertOutput, count: receivedRows * hidden) }
}
