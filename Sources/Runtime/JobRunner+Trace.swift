import Foundation
import MPIKit
import Reports
import Workload

extension JobRunner {
    /// `--trace`: rank 0 gathers every rank's spans and writes the trace once (atomically); it
    /// says on standard error where, and how many spans past the limit were not recorded.
    func writeTrace(_ trace: TraceRecorder, job: Job, world: Communicator) throws {
        guard let path = options.tracePath, let gathered = try trace.gather(on: world) else { return }
        let document = TraceRecorder.trace(gathered.spans, job: job)
        var note = "trace: \(path) (\(document.eventCount) spans, \(world.size) rank(s))\n"
        try document.write(to: path)
        if gathered.dropped > 0 {
            note += "trace: \(gathered.dropped) span(s) past the limit of \(trace.limit) per rank were not recorded (the trace holds each rank's first ones)\n"
        }
        FileHandle.standardError.write(Data(note.utf8))
    }
}
