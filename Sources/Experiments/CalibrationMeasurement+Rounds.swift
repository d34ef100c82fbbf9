import Reports

extension CalibrationMeasurement {
    /// The figure-by-figure median of `rounds` (the same measurements taken one round after
    /// another, ``Calibrator/measure(_:targets:rounds:)``): each rate and time is the median of
    /// its rounds, so a round taken during a slow spell of the host does not set it. Shapes,
    /// sizes and counts are the first round's (every round measures the same ones).
    public static func median(of rounds: [CalibrationMeasurement]) -> CalibrationMeasurement {
        guard var result = rounds.first else {
            return CalibrationMeasurement(ranks: 0, hosts: 0, fmaPeakGflops: 0, gemm: [], memoryGbPerSecond: 0, pointToPoint: [],
                                          allGather: [], latencySeconds: nil, linkGbPerSecond: nil, program: nil)
        }
        guard rounds.count > 1 else { return result }
        result.fmaPeakGflops = middle(rounds.map(\.fmaPeakGflops))
        result.memoryGbPerSecond = middle(rounds.map(\.memoryGbPerSecond))
        for index in result.gemm.indices {
            result.gemm[index].gflops = middle(rounds.compactMap { index < $0.gemm.count ? $0.gemm[index].gflops : nil })
        }
        result.pointToPoint = medianTransfers(rounds.map(\.pointToPoint))
        result.allGather = medianTransfers(rounds.map(\.allGather))
        result.latencySeconds = optionalMiddle(rounds.map(\.latencySeconds))
        result.linkGbPerSecond = optionalMiddle(rounds.map(\.linkGbPerSecond))
        if result.program != nil { result.program = ProgramCalibration.median(of: rounds.compactMap(\.program)) }
        return result
    }

    /// Point by point, the median seconds (the points of the first list).
    static func medianTransfers(_ rounds: [[TransferPoint]]) -> [TransferPoint] {
        guard var result = rounds.first else { return [] }
        for index in result.indices {
            result[index].seconds = middle(rounds.compactMap { index < $0.count ? $0[index].seconds : nil })
        }
        return result
    }

    /// The median of `values` (0 for none).
    static func middle(_ values: [Double]) -> Double { Statistics.median(values) ?? 0 }

    /// The median of the values that are there (nil where none is).
    static func optionalMiddle(_ values: [Double?]) -> Double? {
        let present = values.compactMap { $0 }
        return present.isEmpty ? nil : middle(present)
    }
}

extension ProgramCalibration {
    /// ``CalibrationMeasurement/median(of:)`` of the job's own measurements.
    public static func median(of rounds: [ProgramCalibration]) -> ProgramCalibration {
        guard var result = rounds.first else { return ProgramCalibration() }
        let middle = CalibrationMeasurement.middle
        for index in result.attention.indices {
            result.attention[index].forwardSeconds = middle(rounds.compactMap { index < $0.attention.count ? $0.attention[index].forwardSeconds : nil })
            result.attention[index].backwardSeconds = middle(rounds.compactMap { index < $0.attention.count ? $0.attention[index].backwardSeconds : nil })
        }
        for index in result.memory.indices {
            result.memory[index].seconds = middle(rounds.compactMap { index < $0.memory.count ? $0.memory[index].seconds : nil })
        }
        result.pointToPoint = CalibrationMeasurement.medianTransfers(rounds.map(\.pointToPoint))
        result.allToAll = CalibrationMeasurement.medianTransfers(rounds.map(\.allToAll))
        result.reduceScatter = CalibrationMeasurement.medianTransfers(rounds.map(\.reduceScatter))
        result.allGather = CalibrationMeasurement.medianTransfers(rounds.map(\.allGather))
        return result
    }
}
