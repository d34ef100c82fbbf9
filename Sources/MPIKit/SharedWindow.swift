import CMPI
import Glibc

/// How the ranks of a ``SharedWindow`` agree that every write before a synchronization is
/// visible to every rank after it.
public enum WindowSynchronization: String, Sendable, CaseIterable {
    /// `MPI_Win_fence`: an active-target epoch boundary, collective over the window's ranks.
    case fence
    /// A passive-target epoch held for the window's life (`MPI_Win_lock_all` with
    /// `MPI_MODE_NOCHECK`); each synchronization is `MPI_Win_sync`, `MPI_Barrier`, `MPI_Win_sync`
    /// (the "separate flag" protocol of MPI-3 shared memory, with the barrier as the flag).
    case barrier
}

/// Memory the ranks of one host share (`MPI_Win_allocate_shared`): each rank owns a region and
/// can read and write every other rank's region with plain loads and stores.
///
/// Regions are allocated separately (`alloc_shared_noncontig`), rounded up to whole pages
/// (2 MiB from 2 MiB up) and start on a 4 KiB page boundary (Open MPI 4.1 places them 264 bytes
/// past one: each region is allocated a page larger and its start moved up), as a ``CommBuffer``
/// does. Not on 2 MiB boundaries: each process maps the segment at its own address, equal to the
/// others' modulo 4 KiB only, and all must agree where a region starts (DESIGN.md, "Communication
/// buffers"); on this machine shared memory gets no transparent huge pages anyway
/// (`shmem_enabled = never`). Allocation and ``free()`` are collective over `communicator` (and
/// never implicit: see `deinit`), which must be a shared-memory one
/// (``Communicator/splitSharedMemory()``). Every region is zero-filled at allocation.
public final class SharedWindow {
    /// The ranks that share the window.
    public let communicator: Communicator
    /// How ``synchronize()`` makes writes visible.
    public let synchronization: WindowSynchronization
    private var handle: MPI_Win?
    private var regions: [UnsafeMutableRawPointer]
    /// Bytes of each rank's region (rounded up to whole pages), by rank of `communicator`.
    public let regionBytes: [Int]

    /// Allocates a region of at least `bytes` bytes on every rank of `communicator` (each rank
    /// may ask for a different size) and looks up every rank's region. Collective.
    public init(bytes: Int, communicator: Communicator, synchronization: WindowSynchronization) throws(MPIError) {
        guard bytes >= 0, bytes <= Int.max / 2 else {
            throw MPIError(function: "MPI_Win_allocate_shared", invalidArgument: "a region of \(bytes) bytes")
        }
        let hugePage = 2 << 20
        let page = bytes >= hugePage ? hugePage : 4096
        let rounded = max(page, (bytes + page - 1) / page * page)
        self.communicator = communicator
        self.synchronization = synchronization
        var info: MPI_Info? = frugal_mpi_info_null()
        try mpiCall("MPI_Info_create") { MPI_Info_create(&info) }
        defer { MPI_Info_free(&info) }
        try mpiCall("MPI_Info_set") { MPI_Info_set(info, "alloc_shared_noncontig", "true") }
        var base: UnsafeMutableRawPointer?
        var window: MPI_Win? = frugal_mpi_win_null()
        try mpiCall("MPI_Win_allocate_shared") {
            MPI_Win_allocate_shared(MPI_Aint(rounded + 4096), 1, info, communicator.handle, &base, &window)
        }
        handle = window
        regions = []
        var sizes: [Int] = []
        for rank in 0..<communicator.size {
            var size: MPI_Aint = 0, unit: Int32 = 0
            var pointer: UnsafeMutableRawPointer?
            try mpiCall("MPI_Win_shared_query") { MPI_Win_shared_query(window, Int32(rank), &size, &unit, &pointer) }
            guard let pointer, size >= 1 else {
                throw MPIError(function: "MPI_Win_shared_query", invalidArgument: "rank \(rank)'s region has no address")
            }
            // Open MPI puts a header before the regions: start each at the next page boundary
            // (each rank allocated a page more than it asked for). Pages, not 2 MiB: processes map
            // the segment at addresses equal modulo 4 KiB only, and every rank must agree where a
            // region starts.
            let skip = (4096 - Int(bitPattern: pointer) % 4096) % 4096
            regions.append(pointer + skip)
            sizes.append(Int(size) - 4096)
        }
        regionBytes = sizes
        let mine = regions[communicator.rank]
        // Huge pages for the whole 2 MiB pages inside the region (Open MPI's header leaves it
        // page-aligned only); shared memory takes them where the host allows it
        // (/sys/kernel/mm/transparent_hugepage/shmem_enabled = advise or always).
        let start = (Int(bitPattern: mine) + hugePage - 1) / hugePage * hugePage
        let end = (Int(bitPattern: mine) + rounded) / hugePage * hugePage
        if end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) { _ = madvise(aligned, end - start, MADV_HUGEPAGE) }
        memset(mine, 0, rounded)
        try mpiCall("MPI_Win_set_errhandler") { MPI_Win_set_errhandler(window, frugal_mpi_errors_return()) }
        if synchronization == .barrier {
            try mpiCall("MPI_Win_lock_all") { MPI_Win_lock_all(frugal_mpi_mode_nocheck(), window) }
        }
        // Nobody reads a peer's region before its owner has zeroed it.
        try synchronize()
    }

    /// Not freed here: `MPI_Win_free` is collective, and a window dropped on one rank only (a
    /// rank unwinding from an error while the others wait in a collective) would hang the job
    /// instead of letting it abort. Free windows with ``free()`` on every rank; a window never
    /// freed is released by `MPI_Finalize`.
    deinit {}

    /// The start of `rank`'s region (a rank of ``communicator``); valid until ``free()``.
    public func region(of rank: Int) -> UnsafeMutableRawPointer {
        precondition(regions.indices.contains(rank), "SharedWindow: rank \(rank) is not in the window")
        return regions[rank]
    }

    /// Makes every rank's writes before this call visible to every rank after it. Collective.
    public func synchronize() throws(MPIError) {
        guard let handle else { throw MPIError(function: "SharedWindow", invalidArgument: "the window was freed") }
        switch synchronization {
        case .fence:
            try mpiCall("MPI_Win_fence") { MPI_Win_fence(0, handle) }
        case .barrier:
            try mpiCall("MPI_Win_sync") { MPI_Win_sync(handle) }
            try communicator.barrier()
            try mpiCall("MPI_Win_sync") { MPI_Win_sync(handle) }
        }
    }

    /// Frees the window (collective); its regions may not be used afterwards.
    public func free() throws(MPIError) {
        guard handle != nil else { return }
        var window = handle
        handle = nil
        regions = []
        if synchronization == .barrier {
            try mpiCall("MPI_Win_unlock_all") { MPI_Win_unlock_all(window) }
        }
        try mpiCall("MPI_Win_free") { MPI_Win_free(&window) }
    }
}

extension Communicator {
    /// The ranks of this communicator that can share memory with this one (one communicator per
    /// host: `MPI_Comm_split_type` with `MPI_COMM_TYPE_SHARED`), ranked as here. Collective.
    public func splitSharedMemory() throws(MPIError) -> Communicator {
        var newHandle: MPI_Comm? = frugal_mpi_comm_null()
        try mpiCall("MPI_Comm_split_type") {
            MPI_Comm_split_type(handle, frugal_mpi_comm_type_shared(), Int32(rank), frugal_mpi_info_null(), &newHandle)
        }
        guard let newHandle, newHandle != frugal_mpi_comm_null() else {
            throw MPIError(function: "MPI_Comm_split_type", invalidArgument: "no shared-memory communicator came back")
        }
        try mpiCall("MPI_Comm_set_errhandler") { MPI_Comm_set_errhandler(newHandle, frugal_mpi_errors_return()) }
        return Communicator(handle: newHandle, owned: true)
    }
}
