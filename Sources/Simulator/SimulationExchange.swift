/// How the processes of a distributed simulation talk (`mpirun -np P frugal simulate …`): each
/// simulates a block of pipeline stages (``StagePartition``) and, between rounds of its event
/// loop, they trade the finish times of the pipeline transfers that cross between them. The
/// MPI implementation lives with the command line; tests use threads.
public protocol SimulationExchange {
    /// This process, and how many there are.
    var process: Int { get }
    var processes: Int { get }
    /// Sends `outgoing[p]` to each process `p` and returns what each process sent here (every
    /// process calls it together).
    func exchange(_ outgoing: [[Double]]) throws(SimulationError) -> [[Double]]
    /// Every process's `values`, concatenated in process order (every process calls it together).
    func allGather(_ values: [Double]) throws(SimulationError) -> [Double]
}
