import CMPI

extension Communicator {
    /// Sends `buffer` to `destination` with `tag` (blocking, standard mode).
    public func send<T: MPIScalar>(_ buffer: UnsafeBufferPointer<T>, to destination: Int, tag: Int = 0) throws(MPIError) {
        let count = try mpiCount(buffer.count, "MPI_Send")
        let peer = try mpiCount(destination, "MPI_Send"), mpiTag = try mpiCount(tag, "MPI_Send")
        try mpiCall("MPI_Send") { MPI_Send(buffer.baseAddress, count, T.mpiKind.datatype, peer, mpiTag, handle) }
    }

    /// Receives exactly `buffer.count` elements from `source` with `tag` (blocking).
    public func receive<T: MPIScalar>(into buffer: UnsafeMutableBufferPointer<T>, from source: Int, tag: Int = 0) throws(MPIError) {
        let count = try mpiCount(buffer.count, "MPI_Recv")
        let peer = try mpiCount(source, "MPI_Recv"), mpiTag = try mpiCount(tag, "MPI_Recv")
        var status = MPI_Status()
        try mpiCall("MPI_Recv") { MPI_Recv(buffer.baseAddress, count, T.mpiKind.datatype, peer, mpiTag, handle, &status) }
        var received: Int32 = 0
        MPI_Get_count(&status, T.mpiKind.datatype, &received)
        guard received == count else {
            throw MPIError(function: "MPI_Recv", invalidArgument: "expected \(count) elements from rank \(source), got \(received)")
        }
    }
}
