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
                trace: TraceRecorder? = nil, beforeStep: (Int) throws -> Void = { _ in }) throws -> [MoEStepRecord] {
        // The balancing state at `firstStep`, replayed from the loads of the steps already done.
        var balance = MoEBalanceState(task: task, ranks: world.size)
        for loads in loadsHistory { balance.record(loads: loads) }
        var executor = try MoEExecutor(task: task, communicator: world, balance: balance, cluster: job.cluster)
        executor.trace = trace
        var reference = world.isRoot && task.verify ? try MoEReference(task: task, ranks: world.size, balance: balance) : nil
        var records: [MoEStepRecord] = []
        for step in firstStep..<task.steps {
            // Rank 0 reaches this barrier only after writing the previous step's records, so a
            // rank failing from here on never costs a completed step.
            try world.barrier()
            try beforeStep(step)
            let measurement = try executor.step(step)

            // Outputs (and input gradients) to rank 0 for verification, and every rank's figures.
            let outputs = task.verify ? try gatherToRoot(measurement.output, task: task, world: world) : []
            let inputGradients = task.verify && task.backward ? try gatherToRoot(measurement.inputGradient, task: task, world: world) : []
            let figures = try world.gather(array: MoEStepFigures.values(of: measurement))
            guard world.isRoot else { continue }

            var errors = [MoEBlockError](repeating: MoEBlockError(maxAbs: 0, maxRel: 0, verified: true), count: world.size)
            if var checker = reference {
                let expected = try checker.step(step)
                reference = checker
                errors = MoEBlockError.check(task: task, expected: expected, measurement: measurement, outputs: outputs,
                                             inputGradients: inputGradients, ranks: world.size)
            }
            let stepRecords = (0..<world.size).map { rank in
                moeStepRecord(MoEStepFigures(figures[rank], ranks: world.size), rank: rank, task: task, index: index, job: job,
                              hostnames: hostnames, step: step, measurement: measurement, error: errors[rank],
                              transport: executor.transport)
            }
            try sink.write(stepRecords.map(ResultRecord.moe), globalStep: globalStepOffset + step)
            records += stepRecords
        }
        try executor.releaseWindows()
        return records
    }

    /// Every rank's `values` (tokens × hidden each), gathered in rank order on rank 0 (others get []).
    private func gatherToRoot(_ values: [Float], task: MoETask, world: Communicator) throws(MPIError) -> [Float] {
        let block = task.tokens * task.hidden
        var gathered = [Float](repeating: 0, count: world.isRoot ? block * world.size : 0)
        try values.withUnsafeBufferPointer { (send) throws(MPIError) in
            try gathered.withUnsafeMutableBufferPointer { (receive) throws(MPIError) in
                try world.gatherv(send, into: world.isRoot ? receive : nil, counts: Array(repeating: block, count: world.size))
            }
        }
        return gathered
    }

    /// One rank's record of one step, from its figures and rank 0's verdict.
    private func moeStepRecord(_ figures: MoEStepFigures, rank: Int, task: MoETask, index: Int, job: Job, hostnames: [String],
                               step: Int, measurement: MoEStepMeasurement, error: MoEBlockError, transport: MoETransport) -> MoEStepRecord {
        let ranks = hostnames.count
        let rows = measurement.rowsReceivedByRank.map(Double.init)
        let mean = rows.reduce(0, +) / Double(max(1, rows.count))
        let imbalance = mean > 0 ? (rows.max() ?? 0) / mean : 1
        let sentBytes = Double(figures.bytesSentPerPeer.reduce(0, +))
        let factor = Double(ranks - 1) / Double(ranks)
        func busbw(_ seconds: Double) -> Double { seconds > 0 && ranks > 1 ? sentBytes / seconds / 1e9 * factor : 0 }
        return MoEStepRecord(
            job: job.name, task: task.name, taskIndex: index, rank: rank, ranks: ranks, host: hostnames[rank],
            step: step, tokens: task.tokens, microBatches: task.microBatches, balance: task.balance.mode,
            backward: task.backward,
            computeSeconds: figures.computeSeconds, dispatchSeconds: figures.dispatchSeconds, combineSeconds: figures.combineSeconds,
            exposedCommSeconds: figures.exposedCommSeconds, wallSeconds: figures.wallSeconds,
            bytesSentPerPeer: figures.bytesSentPerPeer, bytesReceivedPerPeer: figures.bytesReceivedPerPeer,
            tokensPerSecond: figures.wallSeconds > 0 ? Double(task.tokens) / figures.wallSeconds : 0,
            gflops: figures.computeSeconds > 0 ? figures.flops / figures.computeSeconds / 1e9 : 0,
            dispatchBusbwGbPerSecond: busbw(figures.dispatchSeconds), combineBusbwGbPerSecond: busbw(figures.combineSeconds),
            imbalance: imbalance, rowsReceived: figures.rowsReceived,
            expertLoads: measurement.expertLoads, droppedPairs: measurement.droppedPairs, outputChecksum: figures.outputChecksum,
            verified: error.verified, maxAbsError: error.maxAbs, maxRelError: error.maxRel, tolerance: task.tolerance,
            transport: transport.rawValue, interNodeBytesSent: figures.interNodeBytesSent)
    }
}

/// What each rank sends rank 0 about one MoE step, as one array of doubles (for one gather):
/// nine figures, then the bytes sent to and received from each peer.
struct MoEStepFigures {
    var computeSeconds: Double
    var dispatchSeconds: Double
    var combineSeconds: Double
    var exposedCommSeconds: Double
    var wallSeconds: Double
    var rowsReceived: Int
    var flops: Double
    var outputChecksum: Double
    var interNodeBytesSent: Int
    var bytesSentPerPeer: [Int]
    var bytesReceivedPerPeer: [Int]

    /// This rank's figures as sent.
    static func values(of measurement: MoEStepMeasurement) -> [Double] {
        let checksum: Double = measurement.output.reduce(0.0) { $0 + Double($1) }
        return [measurement.computeSeconds, measurement.dispatchSeconds, measurement.combineSeconds,
                measurement.exposedCommSeconds, measurement.wallSeconds, Double(measurement.rowsReceived),
                measurement.flops, checksum, Double(measurement.interNodeBytesSent)]
            + measurement.bytesSentPerPeer.map { Double($0) } + measurement.bytesReceivedPerPeer.map { Double($0) }
    }

    /// One rank's figures as received, on `ranks` ranks.
    init(_ values: [Double], ranks: Int) {
        computeSeconds = values[0]
        dispatchSeconds = values[1]
        combineSeconds = values[2]
        exposedCommSeconds = values[3]
        wallSeconds = values[4]
        rowsReceived = Int(values[5])
        flops = values[6]
        outputChecksum = values[7]
        interNodeBytesSent = Int(values[8])
        bytesSentPerPeer = values[9..<(9 + ranks)].map { Int($0) }
        bytesReceivedPerPeer = values[(9 + ranks)..<(9 + 2 * ranks)].map { Int($0) }
    }
}

/// How far one rank's block of a MoE step is from the single-rank reference, and the verdict.
struct MoEBlockError {
    var maxAbs: Double
    var maxRel: Double
    var verified: Bool

    /// Every rank's error: outputs (and with `backward` input gradients) block by block; a rank is
    /// verified when its block is within tolerance, the expert loads match and (with `backward`)
    /// every expert's weight-gradient checksum, summed over its replicas, is within 10× tolerance.
    static func check(task: MoETask, expected: MoEReference.Step, measurement: MoEStepMeasurement,
                      outputs: [Float], inputGradients: [Float], ranks: Int) -> [MoEBlockError] {
        var blocks = compare(outputs, expected.outputs, block: task.tokens * task.hidden, ranks: ranks)
        var gradientsAgree = true
        if task.backward {
            let gradientErrors = compare(inputGradients, expected.inputGradients, block: task.tokens * task.hidden, ranks: ranks)
            blocks = zip(blocks, gradientErrors).map { (max($0.maxAbs, $1.maxAbs), max($0.maxRel, $1.maxRel)) }
            let scale = max(expected.expertGradientSums.map(abs).max() ?? 0, 1e-30)
            gradientsAgree = zip(expected.expertGradientSums, measurement.expertGradientSums).allSatisfy {
                abs($0 - $1) / scale <= task.tolerance * 10
            }
        }
        let loadsAgree = expected.loads == measurement.expertLoads
        return blocks.map { block in
            MoEBlockError(maxAbs: block.maxAbs, maxRel: block.maxRel,
                          verified: loadsAgree && gradientsAgree && block.maxRel <= task.tolerance)
        }
    }

    /// Largest |difference| of each rank's block, relative to the largest reference value.
    static func compare(_ measured: [Float], _ reference: [[Float]], block: Int, ranks: Int) -> [(maxAbs: Double, maxRel: Double)] {
        var scale = 0.0
        for values in reference { for value in values { scale = max(scale, Double(abs(value))) } }
        scale = max(scale, 1e-30)
        return (0..<ranks).map { rank in
            var maxAbs = 0.0
            for index in 0..<block {
                let difference = Double(measured[rank * block + index]) - Double(reference[rank][index])
                maxAbs = difference.isFinite ? max(maxAbs, abs(difference)) : .infinity
            }
            return (maxAbs, maxAbs / scale)
        }
    }
}
