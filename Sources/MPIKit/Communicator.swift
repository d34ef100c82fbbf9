import CMPI

/// A group of ranks that communicate: `MPI_COMM_WORLD` or a sub-group made by ``split(color:key:)``.
///
/// Every operation throws ``MPIError`` on failure. Communicators made by `split` are freed
/// when the last reference goes away (unless MPI is already finalised).
public final class Communicator {
    let handle: MPI_Comm
    private let owned: Bool

    /// This rank's index in the communicator, `0..<size`.
    public let rank: Int
    /// The number of ranks.
    public let size: Int

    init(handle: MPI_Comm, owned: Bool) {
        self.handle = handle
        self.owned = owned
        var rank: Int32 = 0, size: Int32 = 0
        // Cannot fail on a valid communicator; a failure here is a programming error.
        precondition(MPI_Comm_rank(handle, &rank) == frugal_mpi_success(), "MPI_Comm_rank failed")
        precondition(MPI_Comm_size(handle, &size) == frugal_mpi_success(), "MPI_Comm_size failed")
        self.rank = Int(rank)
        self.size = Int(size)
    }

    deinit {
        if owned && !MPIEnvironment.isFinalized {
            var handle: MPI_Comm? = self.handle
            MPI_Comm_free(&handle)
        }
    }

    /// All the ranks of the job. Requires ``MPIEnvironment/initialize()``.
    public static var world: Communicator {
        Communicator(handle: frugal_mpi_comm_world(), owned: false)
    }

    /// This process alone (`MPI_COMM_SELF`).
    public static var selfOnly: Communicator {
        Communicator(handle: frugal_mpi_comm_self(), owned: false)
    }

    /// Whether this rank is rank 0 of the communicator.
    public var isRoot: Bool { rank == 0 }

    /// Splits into sub-communicators, one per distinct `color`, ranked by `key` then by rank
    /// here. Collective. A rank passing `nil` joins none and gets `nil` back.
    public func split(color: Int?, key: Int) throws(MPIError) -> Communicator? {
        var newHandle: MPI_Comm? = frugal_mpi_comm_null()
        let mpiColor = try color.map { (value: Int) throws(MPIError) -> Int32 in try mpiCount(value, "MPI_Comm_split") }
            ?? frugal_mpi_undefined()
        let mpiKey = try mpiCount(key, "MPI_Comm_split")
        try mpiCall("MPI_Comm_split") { MPI_Comm_split(handle, mpiColor, mpiKey, &newHandle) }
        guard let newHandle, newHandle != frugal_mpi_comm_null() else { return nil }
        try mpiCall("MPI_Comm_set_errhandler") { MPI_Comm_set_errhandler(newHandle, frugal_mpi_errors_return()) }
        return Communicator(handle: newHandle, owned: true)
    }

    /// Blocks until every rank has called it.
    public func barrier() throws(MPIError) {
        try mpiCall("MPI_Barrier") { MPI_Barrier(handle) }
    }
}
