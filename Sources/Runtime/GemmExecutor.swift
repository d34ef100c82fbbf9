import Kernels
import MPIKit
import Planner
import Reports
import Workload

/// What one rank measured running a GEMM task, and (on rank 0) the assembled result.
struct GemmRankResult {
    /// Medians over repetitions.
    var computeSeconds: Double
    var commSeconds: Double
    var wallSeconds: Double
    /// The full C, assembled from every rank's block; rank 0 only.
    var assembled: [Float]?
}

/// Runs one ``GemmPlan`` on this rank: generates the inputs it owns from the seed, exchanges
/// operands (all-gather, or SUMMA panel broadcasts on a process grid), computes its block of C
/// with the Kernels GEMM, and gathers C on rank 0. Every rank of `communicator` calls it.
struct GemmExecutor {
    let plan: GemmPlan
    let communicator: Communicator
    var pacer: Pacer? = nil
    /// Where the phases' spans go (`--trace`), or nil.
    var trace: TraceRecorder? = nil

    func run() throws(MPIError) -> GemmRankResult {
        let task = plan.task
        let generator = MatrixGenerator(seed: task.seed)
        let rank = communicator.rank
        let ownA = plan.ownedBlockOfA(rank), ownB = plan.ownedBlockOfB(rank)
        let localA = generator.block(stream: .a, columns: task.k, rows: ownA.rows, cols: ownA.columns)
        let localB = generator.block(stream: .b, columns: task.n, rows: ownB.rows, cols: ownB.columns)
        let block = plan.outputBlock(of: rank)
        var localC = [Float](repeating: 0, count: block.elementCount)

        // Grid sharding talks along process rows and columns.
        var rowCommunicator: Communicator?, columnCommunicator: Communicator?
        if task.sharding == .grid {
            let (row, column) = plan.coordinates(of: rank)
            rowCommunicator = try communicator.split(color: row, key: column)
            columnCommunicator = try communicator.split(color: column, key: row)
        }

        var compute: [Double] = [], comm: [Double] = [], wall: [Double] = []
        var gathered: [Float] = []
        for repetition in 0..<task.repetitions {
            try communicator.barrier()
            trace?.repetition = repetition
            var timer = PhaseTimer(trace: trace)
            switch task.sharding {
            case .rows:
                let fullB = try allgatherRowBlocks(localB, rowCounts: BlockPartition(count: task.k, parts: plan.ranks).ranges.map(\.count),
                                                   columns: task.n, timer: &timer)
                timer.measure(.compute, .forward) { paced { multiply(a: localA, b: fullB, into: &localC, m: block.rows.count, n: task.n, k: task.k) } }
            case .cols:
                let fullA = try allgatherRowBlocks(localA, rowCounts: BlockPartition(count: task.m, parts: plan.ranks).ranges.map(\.count),
                                                   columns: task.k, timer: &timer)
                timer.measure(.compute, .forward) { paced { multiply(a: fullA, b: localB, into: &localC, m: task.m, n: block.columns.count, k: task.k) } }
            case .grid:
                try summa(localA: localA, localB: localB, into: &localC, rowCommunicator: rowCommunicator!,
                          columnCommunicator: columnCommunicator!, timer: &timer)
            }
            gathered = try gatherBlocks(localC, timer: &timer)
            compute.append(timer.compute)
            comm.append(timer.comm)
            wall.append(timer.elapsed)
        }

        var assembled: [Float]?
        if rank == 0 { assembled = assemble(gathered) }
        return GemmRankResult(computeSeconds: Statistics.median(compute) ?? 0, commSeconds: Statistics.median(comm) ?? 0, wallSeconds: Statistics.median(wall) ?? 0,
                              assembled: assembled)
    }

    /// Runs `body` as this rank's emulated chip would (see ``Pacer``).
    private func paced(_ body: () -> Void) {
        if let pacer { pacer.compute(body) } else { body() }
    }

    /// Runs a collective held to the emulated links (see ``Pacer``): `sendBytes[p]` and
    /// `receiveBytes[p]` are what this rank exchanges with rank `p`, as if directly.
    private func pacedTransfer(sendBytes: [Int], receiveBytes: [Int], _ body: () throws(MPIError) -> Void) throws(MPIError) {
        if let pacer { try pacer.transfer(sendBytes: sendBytes, receiveBytes: receiveBytes, body) } else { try body() }
    }

    /// Per-peer bytes of one rank's `bytes` going to each of `peers` (zero elsewhere).
    private func bytes(_ bytes: Int, to peers: [Int]) -> [Int] {
        var perPeer = [Int](repeating: 0, count: communicator.size)
        for peer in peers { perPeer[peer] += bytes }
        return perPeer
    }

    /// Row blocks of a `Σ rowCounts × columns` matrix, one per rank, all-gathered in rank order.
    private func allgatherRowBlocks(_ local: [Float], rowCounts: [Int], columns: Int, timer: inout PhaseTimer) throws(MPIError) -> [Float] {
        let counts = rowCounts.map { $0 * columns }
        var full = [Float](repeating: 0, count: counts.reduce(0, +))
        let rank = communicator.rank, floatBytes = MemoryLayout<Float>.size
        try timer.measure(.comm, .collective) { () throws(MPIError) in
            try pacedTransfer(sendBytes: bytes(counts[rank] * floatBytes, to: Array(counts.indices)),
                              receiveBytes: counts.map { $0 * floatBytes }) { () throws(MPIError) in
                try local.withUnsafeBufferPointer { (send) throws(MPIError) in
                    try full.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                        try communicator.allgatherv(send, into: receive, counts: counts)
                    }
                }
            }
        }
        return full
    }

    /// Generalized SUMMA: for each k panel, the owning process column broadcasts its A panel
    /// along each process row, the owning process row its B panel along each process column,
    /// and every rank accumulates `C += A_panel · B_panel`.
    private func summa(localA: [Float], localB: [Float], into localC: inout [Float],
                       rowCommunicator: Communicator, columnCommunicator: Communicator,
                       timer: inout PhaseTimer) throws(MPIError) {
        let rank = communicator.rank
        let (myRow, myColumn) = plan.coordinates(of: rank)
        let ownA = plan.ownedBlockOfA(rank), ownB = plan.ownedBlockOfB(rank)
        let rows = ownA.rows.count, columns = ownB.columns.count
        for (index, panel) in plan.summaPanels.enumerated() {
            let width = panel.k.count
            var panelA = [Float](repeating: 0, count: rows * width)
            var panelB = [Float](repeating: 0, count: width * columns)
            if myColumn == panel.ownerColumnOfA {
                let offset = panel.k.lowerBound - ownA.columns.lowerBound
                for i in 0..<rows {
                    for p in 0..<width { panelA[i * width + p] = localA[i * ownA.columns.count + offset + p] }
                }
            }
            if myRow == panel.ownerRowOfB {
                let offset = (panel.k.lowerBound - ownB.rows.lowerBound) * columns
                for index in 0..<(width * columns) { panelB[index] = localB[offset + index] }
            }
            // Paced as one exchange: the A panel along the process row, the B panel along the
            // process column, each as a chain from its owner.
            let grid = plan.grid, floatBytes = MemoryLayout<Float>.size
            let rowMembers = (0..<grid.columns).map { myRow * grid.columns + $0 }
            let columnMembers = (0..<grid.rows).map { $0 * grid.columns + myColumn }
            let alongRow = Pacer.chainBroadcast(bytes: panelA.count * floatBytes, members: rowMembers, root: panel.ownerColumnOfA,
                                                rank: rank, ranks: communicator.size)
            let alongColumn = Pacer.chainBroadcast(bytes: panelB.count * floatBytes, members: columnMembers, root: panel.ownerRowOfB,
                                                   rank: rank, ranks: communicator.size)
            let sendBytes = zip(alongRow.send, alongColumn.send).map(+), receiveBytes = zip(alongRow.receive, alongColumn.receive).map(+)
            try timer.measure(.comm, .collective) { () throws(MPIError) in
                try pacedTransfer(sendBytes: sendBytes, receiveBytes: receiveBytes) { () throws(MPIError) in
                    try panelA.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in
                        try rowCommunicator.broadcast(buffer, root: panel.ownerColumnOfA)
                    }
                    try panelB.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in
                        try columnCommunicator.broadcast(buffer, root: panel.ownerRowOfB)
                    }
                }
            }
            timer.measure(.compute, .forward) {
                paced { multiply(a: panelA, b: panelB, into: &localC, m: rows, n: columns, k: width, accumulate: index > 0) }
            }
        }
    }

    /// Gathers every rank's C block on rank 0, packed in rank order.
    private func gatherBlocks(_ localC: [Float], timer: inout PhaseTimer) throws(MPIError) -> [Float] {
        let counts = (0..<plan.ranks).map { plan.outputBlock(of: $0).elementCount }
        var gathered = [Float](repeating: 0, count: communicator.rank == 0 ? counts.reduce(0, +) : 0)
        let isRoot = communicator.rank == 0, floatBytes = MemoryLayout<Float>.size
        try timer.measure(.comm, .collective) { () throws(MPIError) in
            // Every other rank's block to rank 0.
            let sendBytes = bytes(isRoot ? 0 : localC.count * floatBytes, to: [0])
            let receiveBytes = isRoot ? counts.map { $0 * floatBytes } : [Int](repeating: 0, count: communicator.size)
            try pacedTransfer(sendBytes: sendBytes, receiveBytes: receiveBytes) { () throws(MPIError) in
                try localC.withUnsafeBufferPointer { (send) throws(MPIError) in
                    try gathered.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                        try communicator.gatherv(send, into: isRoot ? receive : nil, counts: counts)
                    }
                }
            }
        }
        return gathered
    }

    /// Places the packed blocks at their positions in the full m×n C.
    private func assemble(_ packed: [Float]) -> [Float] {
        let n = plan.task.n
        var full = [Float](repeating: 0, count: plan.task.m * n)
        var offset = 0
        for rank in 0..<plan.ranks {
            let block = plan.outputBlock(of: rank)
            let width = block.columns.count
            for (r, row) in block.rows.enumerated() {
                for c in 0..<width { full[row * n + block.columns.lowerBound + c] = packed[offset + r * width + c] }
            }
            offset += block.elementCount
        }
        return full
    }
}
