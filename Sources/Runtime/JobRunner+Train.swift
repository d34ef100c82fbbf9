import MPIKit
import Reports
import Workload

extension JobRunner {
    /// Runs a train task step by step (the distributed interpreter of the task's program).
    func runTrain(_ task: TrainTask, index: Int, job: Job, world: Communicator, hostnames: [String], sink: RecordSink,
                  firstStep: Int, globalStepOffset: Int, log: ResultsLog?, trace: TraceRecorder?,
                  beforeStep: (Int) throws -> Void) throws -> [TrainStepRecord] {
        throw TrainRunError("train tasks are being built: the distributed step is not on main yet")
    }
}

/// A train task that could not run.
struct TrainRunError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
