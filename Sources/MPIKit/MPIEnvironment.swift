import CMPI
import Foundation

/// The MPI library's lifetime: initialise once, finalise once, and the process-wide facts
/// (processor name, wall clock).
///
/// MPI calls stay on the thread that initialised MPI (`MPI_THREAD_FUNNELED`): never call MPIKit
/// from a Swift concurrency pool thread.
public enum MPIEnvironment {
    /// Initialises MPI (under `mpirun`, or as a singleton when started alone) and makes every
    /// error on `MPI_COMM_WORLD` return to the caller instead of aborting.
    public static func initialize() throws(MPIError) {
        if isInitialized { return }
        var provided: Int32 = 0
        try mpiCall("MPI_Init_thread") { MPI_Init_thread(nil, nil, frugal_mpi_thread_funneled(), &provided) }
        try mpiCall("MPI_Comm_set_errhandler") {
            MPI_Comm_set_errhandler(frugal_mpi_comm_world(), frugal_mpi_errors_return())
        }
    }

    /// Finalises MPI; every rank must call it (collectively) before exiting normally.
    public static func finalize() throws(MPIError) {
        if !isInitialized || isFinalized { return }
        try mpiCall("MPI_Finalize") { MPI_Finalize() }
    }

    /// Whether `MPI_Init` has run.
    public static var isInitialized: Bool {
        var flag: Int32 = 0
        MPI_Initialized(&flag)
        return flag != 0
    }

    /// Whether `MPI_Finalize` has run.
    public static var isFinalized: Bool {
        var flag: Int32 = 0
        MPI_Finalized(&flag)
        return flag != 0
    }

    /// Ends every rank of the job at once. For failures only one rank knows about (the others
    /// may be blocked in a collective): the only way to end such a job without a hang.
    public static func abort(exitCode: Int32) -> Never {
        MPI_Abort(frugal_mpi_comm_world(), exitCode)
        // MPI_Abort does not return; satisfy the type checker if an implementation does.
        fatalError("MPI_Abort returned")
    }

    /// This process's host, as MPI names it.
    public static var processorName: String {
        var buffer = [CChar](repeating: 0, count: Int(frugal_mpi_max_processor_name()) + 1)
        var length: Int32 = 0
        guard MPI_Get_processor_name(&buffer, &length) == frugal_mpi_success() else { return "unknown" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Seconds since an arbitrary point in the past (`MPI_Wtime`): for measuring intervals.
    public static var wallTime: Double { MPI_Wtime() }
}

extension MPIEnvironment {
    /// The MPI library's own version string (`MPI_Get_library_version`), first line.
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: 8192)
        var length: Int32 = 0
        guard MPI_Get_library_version(&buffer, &length) == frugal_mpi_success() else { return "unknown" }
        let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: "\n").first.map { String($0).replacingOccurrences(of: "\u{0}", with: "") } ?? text
    }
}
