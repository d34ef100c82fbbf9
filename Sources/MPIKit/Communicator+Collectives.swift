import CMPI

/// Blocking collectives on typed buffers. Counts are in elements; "v" variants take one count
/// per rank and pack the blocks back to back in rank order (displacements are derived).
/// Every rank of the communicator must make the same call.
extension Communicator {
    /// Copies `buffer` on `root` to `buffer` on every rank.
    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int = 0) throws(MPIError) {
        let count = try mpiCount(buffer.count, "MPI_Bcast"), mpiRoot = try mpiCount(root, "MPI_Bcast")
        try mpiCall("MPI_Bcast") { MPI_Bcast(buffer.baseAddress, count, T.mpiKind.datatype, mpiRoot, handle) }
    }

    /// Every rank sends `send` (the same count everywhere); `root` receives them in rank order
    /// into `receive` (`size × send.count` elements; ignored on other ranks).
    public func gather<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>?, root: Int = 0) throws(MPIError) {
        let count = try mpiCount(send.count, "MPI_Gather"), mpiRoot = try mpiCount(root, "MPI_Gather")
        if rank == root {
            guard let receive, fits(receive.count, blocksOf: send.count) else {
                throw MPIError(function: "MPI_Gather", invalidArgument: "receive buffer smaller than size × count")
            }
        }
        try mpiCall("MPI_Gather") {
            MPI_Gather(send.baseAddress, count, T.mpiKind.datatype, receive?.baseAddress, count, T.mpiKind.datatype, mpiRoot, handle)
        }
    }

    /// Every rank sends its own count; `root` receives `counts[r]` elements from rank `r`,
    /// packed in rank order into `receive` (`counts` and `receive` matter on `root` only).
    public func gatherv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>?, counts: [Int], root: Int = 0) throws(MPIError) {
        let count = try mpiCount(send.count, "MPI_Gatherv"), mpiRoot = try mpiCount(root, "MPI_Gatherv")
        var layout: (counts: [Int32], displacements: [Int32]) = ([], [])
        if rank == root {
            try checkPerRank(counts, total: receive?.count ?? 0, "MPI_Gatherv")
            layout = try mpiCountsAndDisplacements(counts, "MPI_Gatherv")
        }
        try mpiCall("MPI_Gatherv") {
            MPI_Gatherv(send.baseAddress, count, T.mpiKind.datatype, receive?.baseAddress,
                        layout.counts, layout.displacements, T.mpiKind.datatype, mpiRoot, handle)
        }
    }

    /// `root` sends block `r` of `send` (`receive.count` elements each) to rank `r`.
    public func scatter<T: MPIScalar>(_ send: UnsafeBufferPointer<T>?, into receive: UnsafeMutableBufferPointer<T>, root: Int = 0) throws(MPIError) {
        let count = try mpiCount(receive.count, "MPI_Scatter"), mpiRoot = try mpiCount(root, "MPI_Scatter")
        if rank == root {
            guard let send, fits(send.count, blocksOf: receive.count) else {
                throw MPIError(function: "MPI_Scatter", invalidArgument: "send buffer smaller than size × count")
            }
        }
        try mpiCall("MPI_Scatter") {
            MPI_Scatter(send?.baseAddress, count, T.mpiKind.datatype, receive.baseAddress, count, T.mpiKind.datatype, mpiRoot, handle)
        }
    }

    /// `root` sends `counts[r]` elements, packed in rank order in `send`, to rank `r`, which
    /// receives `receive.count` of them.
    public func scatterv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>?, counts: [Int], into receive: UnsafeMutableBufferPointer<T>, root: Int = 0) throws(MPIError) {
        let count = try mpiCount(receive.count, "MPI_Scatterv"), mpiRoot = try mpiCount(root, "MPI_Scatterv")
        var layout: (counts: [Int32], displacements: [Int32]) = ([], [])
        if rank == root {
            try checkPerRank(counts, total: send?.count ?? 0, "MPI_Scatterv")
            layout = try mpiCountsAndDisplacements(counts, "MPI_Scatterv")
        }
        try mpiCall("MPI_Scatterv") {
            MPI_Scatterv(send?.baseAddress, layout.counts, layout.displacements, T.mpiKind.datatype,
                         receive.baseAddress, count, T.mpiKind.datatype, mpiRoot, handle)
        }
    }

    /// Every rank contributes `send` (same count everywhere) and receives all contributions in
    /// rank order in `receive` (`size × send.count` elements).
    public func allgather<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>) throws(MPIError) {
        let count = try mpiCount(send.count, "MPI_Allgather")
        guard fits(receive.count, blocksOf: send.count) else {
            throw MPIError(function: "MPI_Allgather", invalidArgument: "receive buffer smaller than size × count")
        }
        try mpiCall("MPI_Allgather") {
            MPI_Allgather(send.baseAddress, count, T.mpiKind.datatype, receive.baseAddress, count, T.mpiKind.datatype, handle)
        }
    }

    /// Every rank contributes its own count; every rank receives `counts[r]` from each rank `r`,
    /// packed in rank order.
    public func allgatherv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>, counts: [Int]) throws(MPIError) {
        let count = try mpiCount(send.count, "MPI_Allgatherv")
        try checkPerRank(counts, total: receive.count, "MPI_Allgatherv")
        guard counts[rank] == send.count else {
            throw MPIError(function: "MPI_Allgatherv", invalidArgument: "counts[\(rank)] = \(counts[rank]) but this rank sends \(send.count)")
        }
        let layout = try mpiCountsAndDisplacements(counts, "MPI_Allgatherv")
        try mpiCall("MPI_Allgatherv") {
            MPI_Allgatherv(send.baseAddress, count, T.mpiKind.datatype, receive.baseAddress,
                           layout.counts, layout.displacements, T.mpiKind.datatype, handle)
        }
    }

    /// Reduces `buffer` element-wise across ranks, in place; every rank gets the result.
    public func allreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, _ operation: ReductionOperation) throws(MPIError) {
        let count = try mpiCount(buffer.count, "MPI_Allreduce")
        try mpiCall("MPI_Allreduce") {
            MPI_Allreduce(frugal_mpi_in_place(), buffer.baseAddress, count, T.mpiKind.datatype, operation.handle, handle)
        }
    }

    /// Reduces `send` (`size × receive.count` elements) element-wise across ranks and leaves
    /// block `r` of the result on rank `r` (`MPI_Reduce_scatter_block`).
    public func reduceScatter<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>, _ operation: ReductionOperation) throws(MPIError) {
        let count = try mpiCount(receive.count, "MPI_Reduce_scatter_block")
        guard fits(send.count, blocksOf: receive.count) else {
            throw MPIError(function: "MPI_Reduce_scatter_block", invalidArgument: "send buffer smaller than size × count")
        }
        try mpiCall("MPI_Reduce_scatter_block") {
            MPI_Reduce_scatter_block(send.baseAddress, receive.baseAddress, count, T.mpiKind.datatype, operation.handle, handle)
        }
    }

    /// Block `r` of `send` (`send.count / size` elements) goes to rank `r`; block `r` of
    /// `receive` comes from rank `r`.
    public func alltoall<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into receive: UnsafeMutableBufferPointer<T>) throws(MPIError) {
        guard send.count % size == 0, receive.count >= send.count else {
            throw MPIError(function: "MPI_Alltoall", invalidArgument: "buffers must hold size equal blocks")
        }
        let count = try mpiCount(send.count / size, "MPI_Alltoall")
        try mpiCall("MPI_Alltoall") {
            MPI_Alltoall(send.baseAddress, count, T.mpiKind.datatype, receive.baseAddress, count, T.mpiKind.datatype, handle)
        }
    }

    /// Sends `sendCounts[r]` elements (packed in rank order in `send`) to each rank `r` and
    /// receives `receiveCounts[r]` from each, packed in rank order in `receive`.
    public func alltoallv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, counts sendCounts: [Int],
                                        into receive: UnsafeMutableBufferPointer<T>, counts receiveCounts: [Int]) throws(MPIError) {
        try alltoallv(send, counts: sendCounts, displacements: packedDisplacements(sendCounts),
                      into: receive, counts: receiveCounts, displacements: packedDisplacements(receiveCounts))
    }

    /// Sends `sendCounts[r]` elements starting at element `sendDisplacements[r]` of `send` to
    /// each rank `r`, and receives `receiveCounts[r]` elements from each at element
    /// `receiveDisplacements[r]` of `receive`: blocks anywhere in the buffers, in any order (the
    /// receive blocks must not overlap), so a caller can leave out or rearrange blocks — the MoE
    /// exchange keeps a rank's own block out of MPI this way.
    public func alltoallv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, counts sendCounts: [Int], displacements sendDisplacements: [Int],
                                        into receive: UnsafeMutableBufferPointer<T>, counts receiveCounts: [Int],
                                        displacements receiveDisplacements: [Int]) throws(MPIError) {
        let sendLayout = try checkedBlocks(sendCounts, sendDisplacements, total: send.count, "MPI_Alltoallv")
        let receiveLayout = try checkedBlocks(receiveCounts, receiveDisplacements, total: receive.count, disjoint: true, "MPI_Alltoallv")
        try mpiCall("MPI_Alltoallv") {
            MPI_Alltoallv(send.baseAddress, sendLayout.counts, sendLayout.displacements, T.mpiKind.datatype,
                          receive.baseAddress, receiveLayout.counts, receiveLayout.displacements, T.mpiKind.datatype, handle)
        }
    }

    /// Whether a buffer of `total` elements holds `size` blocks of `block` (overflow-checked).
    func fits(_ total: Int, blocksOf block: Int) -> Bool {
        let (product, overflow) = block.multipliedReportingOverflow(by: size)
        return !overflow && total >= product
    }

    /// Displacements of blocks packed back to back in rank order.
    func packedDisplacements(_ counts: [Int]) -> [Int] {
        var displacements: [Int] = [], offset = 0
        displacements.reserveCapacity(counts.count)
        for count in counts {
            displacements.append(offset)
            let (next, overflow) = offset.addingReportingOverflow(count)
            offset = overflow ? Int.max : next   // checkedBlocks then rejects the block
        }
        return displacements
    }

    /// Checks per-rank blocks given by counts and displacements: one of each per rank, none
    /// negative, every block inside a buffer of `total` elements and, when `disjoint` (blocks
    /// MPI writes), no two non-empty blocks overlapping; returns them as MPI `int`s.
    func checkedBlocks(_ counts: [Int], _ displacements: [Int], total: Int, disjoint: Bool = false,
                       _ function: StaticString) throws(MPIError) -> (counts: [Int32], displacements: [Int32]) {
        guard counts.count == size, displacements.count == size else {
            throw MPIError(function: "\(function)", invalidArgument: "\(counts.count) counts and \(displacements.count) displacements for \(size) ranks")
        }
        var result: (counts: [Int32], displacements: [Int32]) = ([], [])
        result.counts.reserveCapacity(size)
        result.displacements.reserveCapacity(size)
        for (count, displacement) in zip(counts, displacements) {
            guard count >= 0, displacement >= 0, displacement <= total, count <= total - displacement else {
                throw MPIError(function: "\(function)", invalidArgument: "block of \(count) at \(displacement) does not fit a buffer of \(total)")
            }
            result.counts.append(try mpiCount(count, function))
            result.displacements.append(try mpiCount(displacement, function))
        }
        if disjoint {
            let blocks = zip(displacements, counts).filter { $0.1 > 0 }.sorted { $0.0 < $1.0 }
            for (previous, next) in zip(blocks, blocks.dropFirst()) where previous.0 + previous.1 > next.0 {
                throw MPIError(function: "\(function)", invalidArgument: "receive blocks at \(previous.0) (\(previous.1)) and \(next.0) overlap")
            }
        }
        return result
    }

    /// Checks a per-rank count list: one entry per rank, none negative, fitting in `total`.
    func checkPerRank(_ counts: [Int], total: Int, _ function: StaticString) throws(MPIError) {
        guard counts.count == size else {
            throw MPIError(function: "\(function)", invalidArgument: "\(counts.count) counts for \(size) ranks")
        }
        var sum = 0, overflow = false
        for count in counts where !overflow { (sum, overflow) = sum.addingReportingOverflow(count) }
        guard counts.allSatisfy({ $0 >= 0 }), !overflow, sum <= total else {
            throw MPIError(function: "\(function)", invalidArgument: "counts \(counts) do not fit a buffer of \(total)")
        }
    }
}

/// Array conveniences for small control messages (job descriptions, per-rank statistics).
extension Communicator {
    /// Broadcasts an array whose length only `root` knows.
    public func broadcast<T: MPIScalar>(array: [T], root: Int = 0) throws(MPIError) -> [T] {
        var length = [Int64(array.count)]
        try length.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in try broadcast(buffer, root: root) }
        guard length[0] >= 0, length[0] <= Int64(Int32.max) else {
            throw MPIError(function: "MPI_Bcast", invalidArgument: "array length \(length[0]) is outside MPI's int range")
        }
        var result = rank == root ? array : [T](repeating: zeroValue(), count: Int(length[0]))
        try result.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in try broadcast(buffer, root: root) }
        return result
    }

    /// Gathers one equal-length array per rank on `root` (others get `[]`).
    public func gather<T: MPIScalar>(array: [T], root: Int = 0) throws(MPIError) -> [[T]] {
        let perRank = array.count
        var all = [T](repeating: zeroValue(), count: rank == root ? perRank * size : 0)
        try array.withUnsafeBufferPointer { (send) throws(MPIError) in
            try all.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                try gather(send, into: rank == root ? receive : nil, root: root)
            }
        }
        guard rank == root else { return [] }
        return (0..<size).map { Array(all[($0 * perRank)..<(($0 + 1) * perRank)]) }
    }

    /// Every rank's copy of one equal-length array per rank, by rank, on every rank.
    public func allgather<T: MPIScalar>(array: [T]) throws(MPIError) -> [[T]] {
        let perRank = array.count
        var all = [T](repeating: zeroValue(), count: perRank * size)
        try array.withUnsafeBufferPointer { (send) throws(MPIError) in
            try all.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in try allgather(send, into: receive) }
        }
        return (0..<size).map { Array(all[($0 * perRank)..<(($0 + 1) * perRank)]) }
    }

    /// Reduces a small array across ranks; every rank gets the result.
    public func allreduce<T: MPIScalar>(array: [T], _ operation: ReductionOperation) throws(MPIError) -> [T] {
        var result = array
        try result.withUnsafeMutableBufferPointer { (buffer) throws(MPIError) in try allreduce(buffer, operation) }
        return result
    }
}

/// All-zero bits of a scalar type.
@inline(__always)
func zeroValue<T: MPIScalar>() -> T {
    withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { buffer in
        UnsafeMutableRawBufferPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0)
        return buffer[0]
    }
}
