import CMPI

/// Non-blocking point-to-point and collectives. They take ``CommBuffer``s, which the returned
/// ``Request`` keeps alive until it completes, so no buffer can be freed while MPI still uses it.
extension Communicator {
    /// Starts sending all of `buffer` to `destination`.
    public func sendNonblocking<T: MPIScalar>(_ buffer: CommBuffer<T>, to destination: Int, tag: Int = 0) throws(MPIError) -> Request {
        let count = try mpiCount(buffer.count, "MPI_Isend")
        let peer = try mpiCount(destination, "MPI_Isend"), mpiTag = try mpiCount(tag, "MPI_Isend")
        var request: MPI_Request? = frugal_mpi_request_null()
        try mpiCall("MPI_Isend") { MPI_Isend(buffer.mutablePointer, count, T.mpiKind.datatype, peer, mpiTag, handle, &request) }
        return Request(handle: request, retaining: [buffer], function: "MPI_Isend")
    }

    /// Starts receiving `buffer.count` elements from `source`.
    public func receiveNonblocking<T: MPIScalar>(into buffer: CommBuffer<T>, from source: Int, tag: Int = 0) throws(MPIError) -> Request {
        let count = try mpiCount(buffer.count, "MPI_Irecv")
        let peer = try mpiCount(source, "MPI_Irecv"), mpiTag = try mpiCount(tag, "MPI_Irecv")
        var request: MPI_Request? = frugal_mpi_request_null()
        try mpiCall("MPI_Irecv") { MPI_Irecv(buffer.mutablePointer, count, T.mpiKind.datatype, peer, mpiTag, handle, &request) }
        return Request(handle: request, retaining: [buffer], function: "MPI_Irecv")
    }

    /// Starts a broadcast of `buffer` from `root`.
    public func broadcastNonblocking<T: MPIScalar>(_ buffer: CommBuffer<T>, root: Int = 0) throws(MPIError) -> Request {
        let count = try mpiCount(buffer.count, "MPI_Ibcast"), mpiRoot = try mpiCount(root, "MPI_Ibcast")
        var request: MPI_Request? = frugal_mpi_request_null()
        try mpiCall("MPI_Ibcast") { MPI_Ibcast(buffer.mutablePointer, count, T.mpiKind.datatype, mpiRoot, handle, &request) }
        return Request(handle: request, retaining: [buffer], function: "MPI_Ibcast")
    }

    /// Starts an in-place all-reduce of `buffer`.
    public func allreduceNonblocking<T: MPIScalar>(_ buffer: CommBuffer<T>, _ operation: ReductionOperation) throws(MPIError) -> Request {
        let count = try mpiCount(buffer.count, "MPI_Iallreduce")
        var request: MPI_Request? = frugal_mpi_request_null()
        try mpiCall("MPI_Iallreduce") {
            MPI_Iallreduce(frugal_mpi_in_place(), buffer.mutablePointer, count, T.mpiKind.datatype, operation.handle, handle, &request)
        }
        return Request(handle: request, retaining: [buffer], function: "MPI_Iallreduce")
    }

    /// Starts an all-gather: every rank's `send` lands in rank order in `receive`.
    public func allgatherNonblocking<T: MPIScalar>(_ send: CommBuffer<T>, into receive: CommBuffer<T>) throws(MPIError) -> Request {
        let count = try mpiCount(send.count, "MPI_Iallgather")
        guard fits(receive.count, blocksOf: send.count) else {
            throw MPIError(function: "MPI_Iallgather", invalidArgument: "receive buffer smaller than size × count")
        }
        var request: MPI_Request? = frugal_mpi_request_null()
        try mpiCall("MPI_Iallgather") {
            MPI_Iallgather(send.mutablePointer, count, T.mpiKind.datatype, receive.mutablePointer, count, T.mpiKind.datatype, handle, &request)
        }
        return Request(handle: request, retaining: [send, receive], function: "MPI_Iallgather")
    }

    /// Starts an all-to-all with per-peer counts, packed in rank order (see ``alltoallv(_:counts:into:counts:)``).
    public func alltoallvNonblocking<T: MPIScalar>(_ send: CommBuffer<T>, counts sendCounts: [Int],
                                                   into receive: CommBuffer<T>, counts receiveCounts: [Int]) throws(MPIError) -> Request {
        try alltoallvNonblocking(send, counts: sendCounts, displacements: packedDisplacements(sendCounts),
                                 into: receive, counts: receiveCounts, displacements: packedDisplacements(receiveCounts))
    }

    /// Starts an all-to-all with per-peer counts and displacements (see
    /// ``alltoallv(_:counts:displacements:into:counts:displacements:)``).
    public func alltoallvNonblocking<T: MPIScalar>(_ send: CommBuffer<T>, counts sendCounts: [Int], displacements sendDisplacements: [Int],
                                                   into receive: CommBuffer<T>, counts receiveCounts: [Int],
                                                   displacements receiveDisplacements: [Int]) throws(MPIError) -> Request {
        let sendLayout = try checkedBlocks(sendCounts, sendDisplacements, total: send.count, "MPI_Ialltoallv")
        let receiveLayout = try checkedBlocks(receiveCounts, receiveDisplacements, total: receive.count, disjoint: true, "MPI_Ialltoallv")
        let holder = CountArrays(sendLayout.counts, sendLayout.displacements, receiveLayout.counts, receiveLayout.displacements)
        var request: MPI_Request? = frugal_mpi_request_null()
        try mpiCall("MPI_Ialltoallv") {
            MPI_Ialltoallv(send.mutablePointer, holder.sendCounts, holder.sendDisplacements, T.mpiKind.datatype,
                           receive.mutablePointer, holder.receiveCounts, holder.receiveDisplacements, T.mpiKind.datatype,
                           handle, &request)
        }
        // MPI may read the count arrays until completion: the request keeps them alive too.
        return Request(handle: request, retaining: [send, receive, holder], function: "MPI_Ialltoallv")
    }
}

/// Count and displacement arrays in stable memory for the lifetime of a non-blocking "v" collective.
final class CountArrays {
    let sendCounts: UnsafeMutablePointer<Int32>
    let sendDisplacements: UnsafeMutablePointer<Int32>
    let receiveCounts: UnsafeMutablePointer<Int32>
    let receiveDisplacements: UnsafeMutablePointer<Int32>

    init(_ a: [Int32], _ b: [Int32], _ c: [Int32], _ d: [Int32]) {
        func copy(_ values: [Int32]) -> UnsafeMutablePointer<Int32> {
            let pointer = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, values.count))
            pointer.initialize(from: values, count: values.count)
            return pointer
        }
        sendCounts = copy(a); sendDisplacements = copy(b); receiveCounts = copy(c); receiveDisplacements = copy(d)
    }

    deinit {
        sendCounts.deallocate(); sendDisplacements.deallocate(); receiveCounts.deallocate(); receiveDisplacements.deallocate()
    }
}
