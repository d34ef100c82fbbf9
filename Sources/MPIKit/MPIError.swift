import CMPI

/// An MPI call that did not succeed, or a request MPIKit refused before calling MPI.
///
/// MPIKit sets `MPI_ERRORS_RETURN` on every communicator, so a failing call returns here as a
/// thrown error instead of aborting the job; the caller decides how the job ends.
public struct MPIError: Error, CustomStringConvertible, Sendable {
    /// The MPI function that failed, e.g. `MPI_Alltoallv`.
    public let function: String
    /// The MPI return code, or nil when MPIKit rejected the arguments before calling MPI.
    public let code: Int32?
    /// The MPI error class of `code` (`MPI_ERR_COUNT`, `MPI_ERR_TRUNCATE`, …), when there is a code.
    public let errorClass: Int32?
    /// MPI's text for the code, or MPIKit's reason.
    public let message: String

    /// An error from an MPI return code.
    init(function: String, code: Int32) {
        self.function = function
        self.code = code
        var errorClass: Int32 = 0
        self.errorClass = MPI_Error_class(code, &errorClass) == frugal_mpi_success() ? errorClass : nil
        var buffer = [CChar](repeating: 0, count: Int(frugal_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        if MPI_Error_string(code, &buffer, &length) == frugal_mpi_success() {
            self.message = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        } else {
            self.message = "MPI error code \(code)"
        }
    }

    /// An error MPIKit raises itself (mismatched counts, a count beyond MPI's `int` range, …).
    public init(function: String, invalidArgument message: String) {
        self.function = function
        self.code = nil
        self.errorClass = nil
        self.message = message
    }

    public var description: String { "\(function): \(message)" }
}
