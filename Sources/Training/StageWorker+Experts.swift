import Kernels

/// The token rows one MoE layer's experts on this rank received for one micro-batch, grouped by
/// expert, and how they came: what the combine sends back and the backward needs.
struct OwnerRows {
    /// Values sent to / received from each member (home side: the layer's routed rows).
    var sendCounts: [Int], receiveCounts: [Int]
    /// Rows per local expert, all sources together.
    var groupSizes: [Int]
    /// Grouped row → its row in the received (source-major) layout.
    var permutation: [Int]
    /// Grouped inputs and (after the experts ran) outputs.
    var inputs: [Float]
    var outputs: [Float] = []
    /// Each local expert's up-projections, for its backward.
    var up: [SwiGLUUpProjections] = []
}

extension StageWorker {
    /// Sends each routed row to the member owning its expert (a count exchange, then the rows)
    /// and returns the rows received, grouped by local expert (sources in member order within one).
    func dispatch(_ routing: MoERouting) throws -> OwnerRows {
        let per = expertsPerMember, members = exchange.members, h = ops.model.hidden
        let received = try exchange.exchangeCounts(routing.groupSizes.map { Int32($0) }, perMember: per).map { Int($0) }
        guard received.count == members * per, received.allSatisfy({ $0 >= 0 }) else {
            throw TrainingError.programMismatch("the count exchange returned \(received.count) counts, expected \(members * per)")
        }
        let sendCounts = (0..<members).map { j in routing.groupSizes[(j * per)..<((j + 1) * per)].reduce(0, +) * h }
        let receiveCounts = (0..<members).map { s in received[(s * per)..<((s + 1) * per)].reduce(0, +) * h }
        let rows = try exchange.exchangeRows(routing.expertInputs, sendCounts: sendCounts, receiveCounts: receiveCounts)
        // Received: source-major, experts within a source. Grouped: expert-major, sources within.
        var sourceStart = [Int](repeating: 0, count: members + 1)
        for s in 0..<members { sourceStart[s + 1] = sourceStart[s] + receiveCounts[s] / max(1, h) }
        var permutation: [Int] = []
        var groupSizes = [Int](repeating: 0, count: per)
        for e in 0..<per {
            for s in 0..<members {
                let offset = sourceStart[s] + received[(s * per)..<(s * per + e)].reduce(0, +)
                let count = received[s * per + e]
                permutation += offset..<(offset + count)
                groupSizes[e] += count
            }
        }
        return OwnerRows(sendCounts: sendCounts, receiveCounts: receiveCounts, groupSizes: groupSizes,
                         permutation: permutation, inputs: gather(rows, permutation))
    }

    /// Sends grouped rows (`values`, as in `owner`) back to where they came from and returns the
    /// rows this rank sent, in its own order (``MoERouting/order``).
    func combine(_ values: [Float], owner: OwnerRows) throws -> [Float] {
        try exchange.exchangeRows(scatter(values, owner.permutation), sendCounts: owner.receiveCounts,
                                  receiveCounts: owner.sendCounts)
    }

    /// Sends rows in this rank's order to their experts' owners, as ``dispatch(_:)`` did, and
    /// returns them grouped as the owner holds its inputs.
    func sendToOwners(_ values: [Float], owner: OwnerRows) throws -> [Float] {
        gather(try exchange.exchangeRows(values, sendCounts: owner.sendCounts, receiveCounts: owner.receiveCounts),
               owner.permutation)
    }

    /// Rows of `values` in `permutation`'s order.
    private func gather(_ values: [Float], _ permutation: [Int]) -> [Float] {
        [Float](rows: permutation, of: values, width: ops.model.hidden)
    }

    /// The inverse of ``gather(_:_:)``: grouped rows back to the received layout.
    private func scatter(_ values: [Float], _ permutation: [Int]) -> [Float] {
        [Float](placing: values, atRows: permutation, width: ops.model.hidden)
    }
}
