import Foundation
import Reports

/// A measured sweep: one job file run under `mpirun -np R` for each rank count, each repeated.
public struct MeasuredSweep: Sendable {
    /// The job file.
    public var jobPath: String
    /// Rank counts, in order.
    public var ranks: [Int]
    public var scaling: SweepPoint.Scaling
    /// Runs per rank count.
    public var repeatCount: Int
    /// This machine's cores: a point with more ranks is oversubscribed.
    public var cores: Int

    public init(jobPath: String, ranks: [Int], scaling: SweepPoint.Scaling, repeatCount: Int,
                cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.jobPath = jobPath
        self.ranks = ranks
        self.scaling = scaling
        self.repeatCount = repeatCount
        self.cores = cores
    }

    /// The points, rank count by rank count, repetitions together.
    public var points: [SweepPoint] {
        let stem = ((jobPath as NSString).lastPathComponent as NSString).deletingPathExtension
        return ranks.flatMap { count in
            (1...max(1, repeatCount)).map { repetition in
                SweepPoint(id: SweepPoint.makeID(["run", stem, scaling.rawValue, "r\(count)", "rep\(repetition)"]), mode: .measured,
                           jobFile: jobPath, scaling: scaling, ranks: count, repetition: repetition, oversubscribed: count > cores,
                           series: "\(stem) — \(scaling.rawValue) scaling")
            }
        }
    }
}
