import MPIKit

/// The layout of one micro-batch's dispatch and combine on this rank, with the rows a rank
/// routes to its own experts kept out of MPI.
///
/// Why: on one host an Alltoallv is memory copies, and so is a pack. The own block has to be
/// packed either way; sending it through MPI as well would add MPI's self-copy into the receive
/// buffer, and another on the way back. So the pack writes own rows straight into their place in
/// the receive buffer, and the combine reads them where the experts wrote them. Other ranks'
/// blocks go through `MPI_Ialltoallv` with explicit displacements.
///
/// Send buffer: destination runs back to back in rank order (send position `p` is row `p`),
/// the own run left empty. Receive buffer: source runs back to back in rank order, the own run
/// filled by the pack.
struct RowExchange {
    let rank: Int
    /// Rows to each destination, and the send position of each destination's first row.
    let sendCounts: [Int]
    let sendOffsets: [Int]
    /// Rows from each source, and the receive-buffer row of each source's first row.
    let receiveCounts: [Int]
    let receiveOffsets: [Int]
    /// Through shared windows (``WindowBuffers``): for each destination, the row of its receive
    /// region where this rank's run starts (the rows of lower ranks before it); empty otherwise.
    let remoteOffsets: [Int]

    init(sendCounts: [Int], receiveCounts: [Int], rank: Int, remoteOffsets: [Int] = []) {
        precondition(sendCounts.count == receiveCounts.count && sendCounts.indices.contains(rank),
                     "RowExchange: one count per rank, and rank \(rank) among them")
        self.rank = rank
        self.sendCounts = sendCounts
        self.receiveCounts = receiveCounts
        sendOffsets = Self.offsets(sendCounts)
        receiveOffsets = Self.offsets(receiveCounts)
        self.remoteOffsets = remoteOffsets
        precondition(sendCounts[rank] == receiveCounts[rank], "RowExchange: own rows sent and received must agree")
    }

    /// The exchange of `rank` when every rank knows every rank's rows to every other
    /// (`rows[source][destination]`), as the window transports do: it knows where its runs start
    /// in its destinations' receive regions too.
    init(rows: [[Int]], rank: Int) {
        let ranks = rows.count
        self.init(sendCounts: rows[rank], receiveCounts: rows.map { $0[rank] }, rank: rank,
                  remoteOffsets: (0..<ranks).map { destination in (0..<rank).reduce(0) { $0 + rows[$1][destination] } })
    }

    /// The destination of send position `position` (runs are back to back in rank order).
    @inline(__always)
    func destination(of position: Int) -> Int {
        var low = 0, high = sendOffsets.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if sendOffsets[middle] <= position { low = middle } else { high = middle - 1 }
        }
        // The last run starting at or before the position: an empty run shares its offset with
        // the next one, so the last is the one that holds rows.
        return low
    }

    /// The row in its destination's receive region (and expert output region) of the row at send
    /// position `position`, with the destination.
    @inline(__always)
    func remoteRow(_ position: Int) -> (rank: Int, row: Int) {
        let destination = destination(of: position)
        return (destination, remoteOffsets[destination] + position - sendOffsets[destination])
    }

    /// Exclusive prefix sums: the first row of each run when runs are back to back.
    static func offsets(_ counts: [Int]) -> [Int] {
        var offsets = [Int](repeating: 0, count: counts.count), total = 0
        for (index, count) in counts.enumerated() { offsets[index] = total; total += count }
        return offsets
    }

    /// For a send position in this rank's own run, its row in the receive buffer (and in the
    /// expert output buffer, laid out alike); nil for the other runs.
    @inline(__always)
    func ownRow(_ position: Int) -> Int? {
        let own = position - sendOffsets[rank]
        return own >= 0 && own < sendCounts[rank] ? receiveOffsets[rank] + own : nil
    }

    /// Where the row at send position `position` is packed: row `position` of `send`, or for
    /// the own run its row of `receive`.
    @inline(__always)
    func packTarget(_ position: Int, send: UnsafeMutablePointer<Float>, receive: UnsafeMutablePointer<Float>,
                    hidden: Int) -> UnsafeMutablePointer<Float> {
        ownRow(position).map { receive + $0 * hidden } ?? send + position * hidden
    }

    /// Where the result for send position `position` is after the combine: row `position` of
    /// `returned`, or for the own run (which never left this rank) its row of `expertOutput`.
    @inline(__always)
    func resultRow(_ position: Int, returned: UnsafePointer<Float>, expertOutput: UnsafePointer<Float>,
                   hidden: Int) -> UnsafePointer<Float> {
        ownRow(position).map { expertOutput + $0 * hidden } ?? returned + position * hidden
    }

    /// Starts the dispatch of other ranks' rows: `send` (packed by send position) to `receive`
    /// (by source), `hidden` floats per row. The own run is already in place.
    func startDispatch(_ communicator: Communicator, send: CommBuffer<Float>, into receive: CommBuffer<Float>,
                       hidden: Int) throws(MPIError) -> Request {
        try communicator.alltoallvNonblocking(send, counts: elements(sendCounts, hidden), displacements: elements(sendOffsets, hidden),
                                              into: receive, counts: elements(receiveCounts, hidden),
                                              displacements: elements(receiveOffsets, hidden))
    }

    /// Starts the combine: the experts' results in `expertOutput` (laid out like the dispatch's
    /// receive buffer) back to their senders' `returned` (by send position). The own run stays.
    func startCombine(_ communicator: Communicator, expertOutput: CommBuffer<Float>, into returned: CommBuffer<Float>,
                      hidden: Int) throws(MPIError) -> Request {
        try communicator.alltoallvNonblocking(expertOutput, counts: elements(receiveCounts, hidden),
                                              displacements: elements(receiveOffsets, hidden),
                                              into: returned, counts: elements(sendCounts, hidden),
                                              displacements: elements(sendOffsets, hidden))
    }

    /// Counts or displacements for MPI, in elements: rows × hidden, the own run's zero.
    private func elements(_ rows: [Int], _ hidden: Int) -> [Int] {
        rows.enumerated().map { $0.offset == rank ? 0 : $0.element * hidden }
    }
}
