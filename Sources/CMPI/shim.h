#ifndef FRUGAL_CMPI_SHIM_H
#define FRUGAL_CMPI_SHIM_H
// Open MPI's C API for Swift. Open MPI spells its predefined handles as macros that cast the
// address of a global (`#define MPI_COMM_WORLD OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)`),
// which Swift's importer cannot see. These static inline accessors give each handle a name
// Swift can call. Only MPIKit imports this module.
#include <mpi.h>

static inline MPI_Comm frugal_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm frugal_mpi_comm_self(void) { return MPI_COMM_SELF; }
static inline MPI_Comm frugal_mpi_comm_null(void) { return MPI_COMM_NULL; }

static inline MPI_Datatype frugal_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype frugal_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype frugal_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype frugal_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype frugal_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype frugal_mpi_uint8(void) { return MPI_UINT8_T; }
static inline MPI_Datatype frugal_mpi_uint16(void) { return MPI_UINT16_T; }
static inline MPI_Datatype frugal_mpi_uint32(void) { return MPI_UINT32_T; }
static inline MPI_Datatype frugal_mpi_uint64(void) { return MPI_UINT64_T; }

static inline MPI_Op frugal_mpi_op_sum(void) { return MPI_SUM; }
static inline MPI_Op frugal_mpi_op_max(void) { return MPI_MAX; }
static inline MPI_Op frugal_mpi_op_min(void) { return MPI_MIN; }
static inline MPI_Op frugal_mpi_op_prod(void) { return MPI_PROD; }

static inline MPI_Request frugal_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Errhandler frugal_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Status *frugal_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline void *frugal_mpi_in_place(void) { return MPI_IN_PLACE; }

static inline int frugal_mpi_undefined(void) { return MPI_UNDEFINED; }
static inline int frugal_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int frugal_mpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int frugal_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline int frugal_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int frugal_mpi_success(void) { return MPI_SUCCESS; }
static inline int frugal_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int frugal_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }

static inline MPI_Win frugal_mpi_win_null(void) { return MPI_WIN_NULL; }
static inline MPI_Info frugal_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline int frugal_mpi_mode_nocheck(void) { return MPI_MODE_NOCHECK; }

#endif
