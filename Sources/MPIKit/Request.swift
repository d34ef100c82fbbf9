import CMPI

/// A non-blocking operation in flight. It keeps the ``CommBuffer``s it uses alive until it
/// completes; `wait()` must be called (or `test()` return true) before those buffers are read
/// or reused. A request dropped while still pending is waited for in `deinit`, so buffers are
/// never freed under MPI.
public final class Request {
    private var handle: MPI_Request?
    private var retained: [AnyObject]
    private let function: StaticString
    /// Whether the operation has completed.
    public private(set) var isComplete = false

    init(handle: MPI_Request?, retaining buffers: [AnyObject], function: StaticString) {
        self.handle = handle
        self.retained = buffers
        self.function = function
    }

    deinit {
        if !isComplete && !MPIEnvironment.isFinalized { _ = try? wait() }
    }

    /// Blocks until the operation completes.
    public func wait() throws(MPIError) {
        if isComplete { return }
        defer { isComplete = true; retained = [] }
        try mpiCall("MPI_Wait") { MPI_Wait(&handle, frugal_mpi_status_ignore()) }
    }

    /// Returns whether the operation has completed, without blocking (drives MPI progress).
    public func test() throws(MPIError) -> Bool {
        if isComplete { return true }
        var flag: Int32 = 0
        try mpiCall("MPI_Test") { MPI_Test(&handle, &flag, frugal_mpi_status_ignore()) }
        if flag != 0 { isComplete = true; retained = [] }
        return isComplete
    }

    /// Waits for all of `requests`.
    public static func waitAll(_ requests: [Request]) throws(MPIError) {
        for request in requests { try request.wait() }
    }
}
