import CMPI

/// The thin call layer: every MPI function MPIKit uses goes through here, so a return code other
/// than `MPI_SUCCESS` always becomes a typed ``MPIError`` naming the function.
@inline(__always)
func mpiCall(_ function: StaticString, _ body: () -> Int32) throws(MPIError) {
    let code = body()
    if code != frugal_mpi_success() {
        throw MPIError(function: "\(function)", code: code)
    }
}

/// Converts a Swift count to MPI's `int`, refusing counts that do not fit.
@inline(__always)
func mpiCount(_ count: Int, _ function: StaticString) throws(MPIError) -> Int32 {
    guard count >= 0, count <= Int(Int32.max) else {
        throw MPIError(function: "\(function)", invalidArgument: "count \(count) is outside MPI's int range")
    }
    return Int32(count)
}

/// Converts per-peer counts (and their displacements, packed in order) to MPI's `int` arrays.
func mpiCountsAndDisplacements(_ counts: [Int], _ function: StaticString) throws(MPIError) -> (counts: [Int32], displacements: [Int32]) {
    var mpiCounts: [Int32] = []
    var displacements: [Int32] = []
    mpiCounts.reserveCapacity(counts.count)
    displacements.reserveCapacity(counts.count)
    var offset = 0
    for count in counts {
        mpiCounts.append(try mpiCount(count, function))
        displacements.append(try mpiCount(offset, function))
        offset += count
    }
    return (mpiCounts, displacements)
}
