import Foundation
import MPIKit
import Simulator

/// The processes of `mpirun -np P frugal simulate …` as a ``SimulationExchange`` over
/// `MPI_COMM_WORLD`: a round's transfers by `MPI_Alltoallv` (after their counts by
/// `MPI_Alltoall`), gathers by `MPI_Allgatherv`.
struct MPISimulationExchange: SimulationExchange {
    let world: Communicator
    var process: Int { world.rank }
    var processes: Int { world.size }

    /// The job's processes when `mpirun` (or another PMI launcher) started more than one; else nil,
    /// and MPI is never initialised.
    static func launched() throws(SimulationError) -> MPISimulationExchange? {
        guard launcher(size: true).map({ $0 > 1 }) ?? false else { return nil }
        do { try MPIEnvironment.initialize() } catch { throw SimulationError("MPI could not start: \(error)") }
        return MPISimulationExchange(world: Communicator.world)
    }

    /// The job's size or this process's rank as the launcher (Open MPI's mpirun, or PMI) set them.
    static func launcher(size: Bool) -> Int? {
        let environment = ProcessInfo.processInfo.environment
        let keys = size ? ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] : ["OMPI_COMM_WORLD_RANK", "PMI_RANK"]
        return keys.lazy.compactMap { environment[$0].flatMap { Int($0) } }.first
    }

    /// Whether the launcher started this process as one other than the first: then simulate,
    /// plan and program report nothing (process 0 does), from `main` on, so errors print once.
    static var isOtherProcess: Bool { (launcher(size: false) ?? 0) != 0 }

    /// Sends this process's standard output and error to /dev/null.
    static func silence() {
        let null = open("/dev/null", O_WRONLY)
        guard null >= 0 else { return }
        dup2(null, STDOUT_FILENO)
        dup2(null, STDERR_FILENO)
        close(null)
    }

    func exchange(_ outgoing: [[Double]]) throws(SimulationError) -> [[Double]] {
        do {
            let sendCounts = outgoing.map(\.count)
            var receiveCounts = [Int](repeating: 0, count: processes)
            try sendCounts.withUnsafeBufferPointer { (send) throws(MPIError) in
                try receiveCounts.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in try world.alltoall(send, into: receive) }
            }
            let flat = outgoing.flatMap { $0 }
            var received = [Double](repeating: 0, count: receiveCounts.reduce(0, +))
            try flat.withUnsafeBufferPointer { (send) throws(MPIError) in
                try received.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                    try world.alltoallv(send, counts: sendCounts, into: receive, counts: receiveCounts)
                }
            }
            var result: [[Double]] = [], offset = 0
            for count in receiveCounts {
                result.append(Array(received[offset..<(offset + count)]))
                offset += count
            }
            return result
        } catch {
            throw SimulationError("distributed simulation: \(error)")
        }
    }

    func allGather(_ values: [Double]) throws(SimulationError) -> [Double] {
        do {
            let counts = try world.allgather(array: [values.count]).map { $0[0] }
            var all = [Double](repeating: 0, count: counts.reduce(0, +))
            try values.withUnsafeBufferPointer { (send) throws(MPIError) in
                try all.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in try world.allgatherv(send, into: receive, counts: counts) }
            }
            return all
        } catch {
            throw SimulationError("distributed simulation: \(error)")
        }
    }
}
