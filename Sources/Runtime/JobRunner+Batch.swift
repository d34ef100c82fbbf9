import Foundation
import Kernels
import MPIKit
import Planner
import Reports
import Workload

extension JobRunner {
    /// Runs a batch task and reports each rank's share and the schedule's efficiency against
    /// max(total work / ranks, largest item).
    func runBatch(_ task: BatchTask, index: Int, job: Job, world: Communicator, hostnames: [String],
                  trace: TraceRecorder? = nil) throws -> [BatchRecord] {
        let executor = BatchExecutor(task: task, communicator: world,
                                     pacer: job.cluster.map { Pacer(cluster: $0, rank: world.rank) }, trace: trace)
        let speed = try options.gemmSpeed ?? executor.measureGemmSpeed()
        let measurement = try executor.run(speed: speed)

        // (item, seconds, checksum) triples and the finish time, to rank 0.
        let flat = measurement.items.flatMap { [Double($0.index), $0.seconds, $0.checksum] }
        let counts = try world.allgather(array: [flat.count]).map { $0[0] }
        var all = [Double](repeating: 0, count: world.isRoot ? counts.reduce(0, +) : 0)
        try flat.withUnsafeBufferPointer { (send) throws(MPIError) in
            try all.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                try world.gatherv(send, into: world.isRoot ? receive : nil, counts: counts)
            }
        }
        let finishes = try world.gather(array: [measurement.finishSeconds])
        guard world.isRoot else { return [] }

        var itemsByRank = [[(index: Int, seconds: Double, checksum: Double)]](repeating: [], count: world.size)
        var offset = 0
        for rank in 0..<world.size {
            for position in stride(from: offset, to: offset + counts[rank], by: 3) {
                itemsByRank[rank].append((Int(all[position]), all[position + 1], all[position + 2]))
            }
            offset += counts[rank]
        }
        let itemSeconds = itemsByRank.flatMap { $0.map(\.seconds) }
        let makespan = finishes.map { $0[0] }.max() ?? 0
        let lowerBound = BatchSchedule.lowerBound(itemSeconds: itemSeconds, ranks: world.size)
        let everyItemOnce = itemsByRank.flatMap { $0.map(\.index) }.sorted() == Array(0..<task.shapes.count)

        // Rank 0 recomputes every item with the same kernel and inputs: results must be identical.
        var verified = [Bool](repeating: everyItemOnce, count: world.size)
        if task.verify {
            let single = BatchTask(name: task.name, shapes: task.shapes, policy: .static, seed: task.seed, verify: true)
            let reference = Dictionary(uniqueKeysWithValues: try BatchExecutor(task: single, communicator: Communicator.selfOnly)
                .run(speed: speed).items.map { ($0.index, $0.checksum) })
            for rank in 0..<world.size {
                verified[rank] = everyItemOnce && itemsByRank[rank].allSatisfy { item in
                    let expected = reference[item.index] ?? .nan
                    return abs(item.checksum - expected) <= 1e-9 * max(1, abs(expected))
                }
            }
        }
        return (0..<world.size).map { rank in
            let mine = itemsByRank[rank]
            let busy = mine.reduce(0) { $0 + $1.seconds }
            let flops = mine.reduce(0) { $0 + task.shapes[$1.index].flops }
            return BatchRecord(job: job.name, task: task.name, taskIndex: index, rank: rank, ranks: world.size,
                               host: hostnames[rank], policy: task.policy.rawValue, items: task.shapes.count,
                               itemsDone: mine.count, busySeconds: busy, idleSeconds: max(0, makespan - busy),
                               makespanSeconds: makespan, lowerBoundSeconds: lowerBound,
                               efficiency: makespan > 0 ? lowerBound / makespan : 0, flops: flops,
                               gflops: busy > 0 ? flops / busy / 1e9 : 0, verified: verified[rank])
        }
    }
}

/// Rank 0's table for batch tasks.
enum BatchTable {
    static func rows(_ records: [BatchRecord]) -> String {
        guard let first = records.first else { return "" }
        var text = "#batch task       rank policy   items  busy(s)     idle(s)     GFLOP/s  verified\n"
        for record in records {
            text += " " + record.task.padding(toLength: 16, withPad: " ", startingAt: 0)
            text += String(format: " %4d %-8@ %5d  %-10.6f  %-10.6f  %7.2f  %@\n", record.rank, record.policy as NSString,
                           record.itemsDone, record.busySeconds, record.idleSeconds, record.gflops,
                           (record.verified ? "yes" : "NO") as NSString)
        }
        text += String(format: "# %@ (%@): makespan %.6f s, lower bound %.6f s, efficiency %.1f%%\n", first.task as NSString,
                       first.policy as NSString, first.makespanSeconds, first.lowerBoundSeconds, 100 * first.efficiency)
        return text
    }
}
