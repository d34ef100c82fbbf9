import CMPI

/// The element types MPIKit moves, each with its MPI datatype.
public enum MPIScalarKind: Sendable {
    case uint8, uint16, uint32, uint64, int32, int64, float, double

    var datatype: MPI_Datatype {
        switch self {
        case .uint8: return frugal_mpi_uint8()
        case .uint16: return frugal_mpi_uint16()
        case .uint32: return frugal_mpi_uint32()
        case .uint64: return frugal_mpi_uint64()
        case .int32: return frugal_mpi_int32()
        case .int64: return frugal_mpi_int64()
        case .float: return frugal_mpi_float()
        case .double: return frugal_mpi_double()
        }
    }
}

/// A fixed-size numeric type that can travel in MPI messages.
public protocol MPIScalar: BitwiseCopyable {
    /// Its MPI datatype.
    static var mpiKind: MPIScalarKind { get }
}

extension UInt8: MPIScalar { public static var mpiKind: MPIScalarKind { .uint8 } }
extension UInt16: MPIScalar { public static var mpiKind: MPIScalarKind { .uint16 } }
extension UInt32: MPIScalar { public static var mpiKind: MPIScalarKind { .uint32 } }
extension UInt64: MPIScalar { public static var mpiKind: MPIScalarKind { .uint64 } }
extension Int32: MPIScalar { public static var mpiKind: MPIScalarKind { .int32 } }
extension Int64: MPIScalar { public static var mpiKind: MPIScalarKind { .int64 } }
extension Int: MPIScalar { public static var mpiKind: MPIScalarKind { .int64 } }
extension Float: MPIScalar { public static var mpiKind: MPIScalarKind { .float } }
extension Double: MPIScalar { public static var mpiKind: MPIScalarKind { .double } }

/// A reduction for ``Communicator/allreduce(_:_:)`` and ``Communicator/reduceScatter(_:into:_:)``.
public enum ReductionOperation: Sendable {
    case sum, max, min, product

    var handle: MPI_Op {
        switch self {
        case .sum: return frugal_mpi_op_sum()
        case .max: return frugal_mpi_op_max()
        case .min: return frugal_mpi_op_min()
        case .product: return frugal_mpi_op_prod()
        }
    }
}
