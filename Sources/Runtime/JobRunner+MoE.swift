import MPIKit
import Planner
import Reports
import Workload

extension JobRunner {
    /// Runs a MoE task step by step; rank 0 verifies each step against the single-rank
    /// reference and appends the step's records at once, so a job that dies keeps every
    /// completed step.
    func runMoE(_ task: MoETask, index: Int, job: Job, world: Communicator, hostnames: [String],
                sink: RecordSink, firstStep: Int = 0, globalStepOffset: Int = 0, loadsHistory: [[Int]] = [],
                beforeStep: (Int) throws -> Void = { _ in }) throws -> [MoEStepRecord] {
        // The balancing state at `firstStep`, replayed from the loads of the steps already done.
        var balance = MoEBalanceState(task: task, ranks: world.size)
        for loads in loadsHistory { balance.record(loads: loads) }
        var executor = try MoEExecutor(task: task, communicator: world, balance: balance, constraints: job.constraints)
        var reference = world.isRoot && task.verify ? try MoEReference(task: task, ranks: world.size, balance: balance) : nil
        var records: [MoEStepRecord] = []
        let h = task.hidden
        for step in firstStep..<task.steps {
            // Rank 0 reaches this barrier only after writing the previous step's records, so a
            // rank failing from here on never costs a completed step.
            try world.barrier()
            try beforeStep(step)
            let measurement = try executor.step(step)

            // Outputs (and input gradients) to rank 0 for verification.
            func gatherToRoot(_ values: [Float]) throws(MPIError) -> [Float] {
                var gathered = [Float](repeating: 0, count: world.isRoot ? task.tokens * h * world.size : 0)
                try values.withUnsafeBufferPointer { (send) throws(MPIError) in
                    try gathered.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                        try world.gatherv(send, into: world.isRoot ? receive : nil,
                                          counts: Array(repeating: task.tokens * h, count: world.size))
                    }
                }
                return gathered
            }
            let gathered = task.verify ? try gatherToRoot(measurement.output) : []
            let gatheredGradients = task.verify && task.backward ? try gatherToRoot(measurement.inputGradient) : []
            let checksum: Double = measurement.output.reduce(0.0) { $0 + Double($1) }
            var mine: [Double] = [measurement.computeSeconds, measurement.dispatchSeconds, measurement.combineSeconds,
                                  measurement.exposedCommSeconds, measurement.wallSeconds, Double(measurement.rowsReceived),
                                  measurement.flops, checksum]
            mine += measurement.bytesSentPerPeer.map { Double($0) }
            mine += measurement.bytesReceivedPerPeer.map { Double($0) }
            let all = try world.gather(array: mine)
            guard world.isRoot else { continue }

            var errors = [(maxAbs: Double, maxRel: Double, verified: Bool)](repeating: (0, 0, true), count: world.size)
            if var checker = reference {
                let expected = try checker.step(step)
                reference = checker
                /// Largest |difference| of each rank's block, relative to the largest reference value.
                func compare(_ measured: [Float], _ reference: [[Float]]) -> [(maxAbs: Double, maxRel: Double)] {
                    var scale = 0.0
                    for block in reference { for value in block { scale = max(scale, Double(abs(value))) } }
                    scale = max(scale, 1e-30)
                    return (0..<world.size).map { rank in
                        var maxAbs = 0.0
                        for index in 0..<(task.tokens * h) {
                            let difference = Double(measured[rank * task.tokens * h + index]) - Double(reference[rank][index])
                            maxAbs = difference.isFinite ? max(maxAbs, abs(difference)) : .infinity
                        }
                        return (maxAbs, maxAbs / scale)
                    }
                }
                var blocks = compare(gathered, expected.outputs)
                var gradientsAgree = true
                if task.backward {
                    let gradientErrors = compare(gatheredGradients, expected.inputGradients)
                    blocks = zip(blocks, gradientErrors).map { (max($0.maxAbs, $1.maxAbs), max($0.maxRel, $1.maxRel)) }
                    // Weight gradients: each expert's checksum, summed over its replicas.
                    let scale = max(expected.expertGradientSums.map(abs).max() ?? 0, 1e-30)
                    gradientsAgree = zip(expected.expertGradientSums, measurement.expertGradientSums).allSatisfy {
                        abs($0 - $1) / scale <= task.tolerance * 10
                    }
                }
                let loadsAgree = expected.loads == measurement.expertLoads
                errors = blocks.map { block in
                    (block.maxAbs, block.maxRel, loadsAgree && gradientsAgree && block.maxRel <= task.tolerance)
                }
            }
            let rows = measurement.rowsReceivedByRank.map(Double.init)
            let mean = rows.reduce(0, +) / Double(max(1, rows.count))
            let imbalance = mean > 0 ? (rows.max() ?? 0) / mean : 1
            let ranks = world.size
            let stepRecords = (0..<ranks).map { rank -> MoEStepRecord in
                let values = all[rank]
                let sent = values[8..<(8 + ranks)].map { Int($0) }
                let received = values[(8 + ranks)..<(8 + 2 * ranks)].map { Int($0) }
                let sentBytes = Double(sent.reduce(0, +))
                let factor = Double(ranks - 1) / Double(ranks)
                func busbw(_ seconds: Double) -> Double { seconds > 0 && ranks > 1 ? sentBytes / seconds / 1e9 * factor : 0 }
                return MoEStepRecord(
                    job: job.name, task: task.name, taskIndex: index, rank: rank, ranks: ranks, host: hostnames[rank],
                    step: step, tokens: task.tokens, microBatches: task.microBatches, balance: task.balance.mode,
                    backward: task.backward,
                    computeSeconds: values[0], dispatchSeconds: values[1], combineSeconds: values[2],
                    exposedCommSeconds: values[3], wallSeconds: values[4], bytesSentPerPeer: sent,
                    bytesReceivedPerPeer: received, tokensPerSecond: values[4] > 0 ? Double(task.tokens) / values[4] : 0,
                    gflops: values[0] > 0 ? values[6] / values[0] / 1e9 : 0, dispatchBusbwGbPerSecond: busbw(values[1]),
                    combineBusbwGbPerSecond: busbw(values[2]), imbalance: imbalance, rowsReceived: Int(values[5]),
                    expertLoads: measurement.expertLoads, droppedPairs: measurement.droppedPairs, outputChecksum: values[7],
                    verified: errors[rank].verified, maxAbsError: errors[rank].maxAbs, maxRelError: errors[rank].maxRel,
                    tolerance: task.tolerance)
            }
            try sink.write(stepRecords.map(ResultRecord.moe), globalStep: globalStepOffset + step)
            records += stepRecords
        }
        return records
    }
}
