import MPIKit

/// The ranks of a run grouped into nodes (virtual nodes of the job's `[cluster]` within hosts,
/// else hosts), and which rank of a node relays another node's rows into it.
struct NodeLayout: Equatable {
    /// The node of each rank, numbered from 0 in rank order.
    let nodeOf: [Int]
    /// Each node's ranks, ascending.
    let members: [[Int]]
    /// Each rank's index among its node's ranks.
    let localIndex: [Int]

    init(nodeOf: [Int]) {
        self.nodeOf = nodeOf
        var members = [[Int]](repeating: [], count: (nodeOf.max() ?? -1) + 1)
        var localIndex = [Int](repeating: 0, count: nodeOf.count)
        for (rank, node) in nodeOf.enumerated() {
            localIndex[rank] = members[node].count
            members[node].append(rank)
        }
        self.members = members
        self.localIndex = localIndex
    }

    var nodeCount: Int { members.count }

    /// The rank of `node` that receives `source`'s rows for that node: the one with the source's
    /// local index (DeepEP's rail-aligned relay), wrapping around in a smaller node.
    func relay(for source: Int, in node: Int) -> Int {
        members[node][localIndex[source] % members[node].count]
    }
}

/// One micro-batch's rows that cross nodes on the hierarchical transport, as DeepEP sends them
/// internode: a *message row* crosses the inter-node hop (MPI) once to the relay of its
/// destination node (``NodeLayout/relay(for:in:)``), which writes it into each destination's
/// shared-window region at the row the flat layout gives it; the combine returns each pair's
/// expert output the same way back, one row per pair (not summed at the relay: the weighted sum
/// stays on the token's rank, in choice order, so outputs are bit-identical to the other
/// transports).
///
/// Forward, a message row is a token and carries every pair of that token on that node (a token
/// crosses once per destination node); backward, rows are weighted per pair and each pair is its
/// own message row. Pairs inside the node are written straight into the windows (``MicroBatchRows``).
struct HierarchicalExchange {
    /// One pair a message row carries: the message row's index among those this rank sends,
    /// the pair's send position, its destination rank and its row in the destination's region.
    struct Entry {
        var message: Int
        var position: Int
        var destination: Int
        var row: Int
    }

    let rank: Int
    let ranks: Int
    /// Message rows to each relay (by rank), in order: the pair index (token·topK + choice) whose
    /// row (forward: the token's) each one carries.
    let messagePairs: [[Int]]
    /// The pairs each relay gets, by relay, in message order.
    let entries: [[Entry]]
    /// For each send position whose pair crosses nodes, its row in the returned buffer; -1 otherwise.
    let returnedRow: [Int]

    /// The crossing rows of `plan` (`exchange` knows where they land), grouped by token (`perToken`)
    /// or one per pair.
    init(plan positions: [Int], topK k: Int, exchange: RowExchange, layout: NodeLayout, perToken: Bool) {
        rank = exchange.rank
        ranks = exchange.sendCounts.count
        var messagePairs = [[Int]](repeating: [], count: ranks), entries = [[Entry]](repeating: [], count: ranks)
        let myNode = layout.nodeOf[rank]
        // Per relay: the message row of the current token, when it already has one.
        var open = [Int](repeating: -1, count: ranks), openToken = [Int](repeating: -1, count: ranks)
        for (pair, position) in positions.enumerated() where position >= 0 {
            let (destination, row) = exchange.remoteRow(position)
            let node = layout.nodeOf[destination]
            guard node != myNode else { continue }
            let relay = layout.relay(for: rank, in: node), token = pair / k
            if !perToken || openToken[relay] != token {
                open[relay] = messagePairs[relay].count
                openToken[relay] = token
                messagePairs[relay].append(pair)
            }
            entries[relay].append(Entry(message: open[relay], position: position, destination: destination, row: row))
        }
        var returnedRow = [Int](repeating: -1, count: exchange.sendCounts.reduce(0, +)), next = 0
        for relay in 0..<ranks { for entry in entries[relay] { returnedRow[entry.position] = next; next += 1 } }
        self.messagePairs = messagePairs
        self.entries = entries
        self.returnedRow = returnedRow
    }

    /// Message rows sent to each rank.
    var messageCounts: [Int] { messagePairs.map(\.count) }
    /// Pairs (rows returned by the combine) to each rank.
    var entryCounts: [Int] { entries.map(\.count) }

    /// What this rank relays in one micro-batch: the message rows that landed here (by source, in
    /// order) and the pairs they carry, in the order the combine returns them.
    struct Relayed {
        var rows: [Float] = []
        var entries: [Entry] = []
        /// Pairs relayed for each source (the combine's row counts back).
        var entryCounts: [Int] = []
    }

    /// The inter-node hop of the dispatch: each message row to its relay (`fill` writes the row
    /// a pair's message carries), with its pairs; returns what landed here to relay. Collective
    /// over `world`.
    func send(_ world: Communicator, hidden h: Int, fill: (_ pair: Int, _ target: UnsafeMutablePointer<Float>) -> Void)
        throws(MPIError) -> Relayed {
        var incoming = [Int](repeating: 0, count: 2 * ranks)
        // Per peer: message rows and pairs, an alltoall of two ints per peer.
        let interleaved = (0..<ranks).flatMap { [messageCounts[$0], entryCounts[$0]] }
        try interleaved.withUnsafeBufferPointer { (s) throws(MPIError) in
            try incoming.withUnsafeMutableBufferPointer { (r) throws(MPIError) in try world.alltoall(s, into: r) }
        }
        let landingRows = (0..<ranks).map { incoming[2 * $0] }, landingEntries = (0..<ranks).map { incoming[2 * $0 + 1] }
        var outgoing = [Float](repeating: 0, count: messageCounts.reduce(0, +) * h)
        outgoing.withUnsafeMutableBufferPointer { out in
            var row = 0
            for relay in 0..<ranks { for pair in messagePairs[relay] { fill(pair, out.baseAddress! + row * h); row += 1 } }
        }
        var relayed = Relayed(rows: [Float](repeating: 0, count: landingRows.reduce(0, +) * h), entryCounts: landingEntries)
        try outgoing.withUnsafeBufferPointer { (s) throws(MPIError) in
            try relayed.rows.withUnsafeMutableBufferPointer { (r) throws(MPIError) in
                try world.alltoallv(s, counts: messageCounts.map { $0 * h }, into: r, counts: landingRows.map { $0 * h })
            }
        }
        // Pairs as three integers: message row (numbered across every source's rows here), destination, row.
        let sentEntries = entries.flatMap { $0.flatMap { [$0.message, $0.destination, $0.row] } }
        var landed = [Int](repeating: 0, count: landingEntries.reduce(0, +) * 3)
        try sentEntries.withUnsafeBufferPointer { (s) throws(MPIError) in
            try landed.withUnsafeMutableBufferPointer { (r) throws(MPIError) in
                try world.alltoallv(s, counts: entryCounts.map { $0 * 3 }, into: r, counts: landingEntries.map { $0 * 3 })
            }
        }
        var firstRow = 0, index = 0
        for source in 0..<ranks {
            for _ in 0..<landingEntries[source] {
                relayed.entries.append(Entry(message: firstRow + landed[3 * index], position: -1, destination: landed[3 * index + 1],
                                             row: landed[3 * index + 2]))
                index += 1
            }
            firstRow += landingRows[source]
        }
        return relayed
    }

    /// The inter-node hop of the combine: the outputs of the pairs this rank relayed (read with
    /// `output(destination, row)`) back to their sources, by source in the order they came;
    /// returns this rank's crossing pairs' outputs, indexed by ``returnedRow``. Collective.
    func receive(_ world: Communicator, relayed: Relayed, hidden h: Int,
                 output: (_ destination: Int, _ row: Int) -> UnsafePointer<Float>) throws(MPIError) -> [Float] {
        var back = [Float](repeating: 0, count: relayed.entries.count * h)
        back.withUnsafeMutableBufferPointer { out in
            for (index, entry) in relayed.entries.enumerated() {
                (out.baseAddress! + index * h).update(from: output(entry.destination, entry.row), count: h)
            }
        }
        var returned = [Float](repeating: 0, count: entryCounts.reduce(0, +) * h)
        try back.withUnsafeBufferPointer { (s) throws(MPIError) in
            try returned.withUnsafeMutableBufferPointer { (r) throws(MPIError) in
                try world.alltoallv(s, counts: relayed.entryCounts.map { $0 * h }, into: r, counts: entryCounts.map { $0 * h })
            }
        }
        return returned
    }

    /// Bytes of rows this rank sends over the inter-node hop in the dispatch (message rows).
    func interNodeBytes(hidden h: Int) -> Int { messageCounts.reduce(0, +) * h * MemoryLayout<Float>.size }
}

/// The crossing pairs' outputs of one micro-batch after a hierarchical combine, where
/// ``MicroBatchRows`` reads them: ``HierarchicalExchange/returnedRow`` and the rows.
final class CrossingRows {
    var returnedRow: [Int] = []
    private(set) var returned = CommBuffer<Float>(count: 0)

    /// Keeps `rows` (indexed by `returnedRow`) for the reads of this micro-batch's results.
    func store(_ rows: [Float], returnedRow: [Int]) throws(MPIError) {
        if returned.count < rows.count { returned = try CommBuffer.make(count: rows.count) }
        returned.withUnsafeMutableBufferPointer { target in
            rows.withUnsafeBufferPointer { source in
                if let from = source.baseAddress { target.baseAddress!.update(from: from, count: rows.count) }
            }
        }
        self.returnedRow = returnedRow
    }

    /// The first float of the returned rows (stable while no larger store replaces them).
    var base: UnsafePointer<Float> { returned.withUnsafeBufferPointer { $0.baseAddress! } }
}
