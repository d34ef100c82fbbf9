import MPIKit
import Training

/// Training's ``ExpertExchange`` over an expert-parallel group's communicator (`MPI_Alltoall`
/// for the counts, `MPI_Alltoallv` for the rows). The op around it is what gets timed.
final class MPIExpertExchange: ExpertExchange {
    let communicator: Communicator

    init(communicator: Communicator) { self.communicator = communicator }

    var members: Int { communicator.size }
    var index: Int { communicator.rank }

    func exchangeCounts(_ counts: [Int32], perMember: Int) throws -> [Int32] {
        var received = [Int32](repeating: 0, count: counts.count)
        try counts.withUnsafeBufferPointer { (send) throws(MPIError) in
            try received.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in try communicator.alltoall(send, into: receive) }
        }
        return received
    }

    func exchangeRows(_ values: [Float], sendCounts: [Int], receiveCounts: [Int]) throws -> [Float] {
        var received = [Float](repeating: 0, count: receiveCounts.reduce(0, +))
        try values.withUnsafeBufferPointer { (send) throws(MPIError) in
            try received.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                try communicator.alltoallv(send, counts: sendCounts, into: receive, counts: receiveCounts)
            }
        }
        return received
    }
}
