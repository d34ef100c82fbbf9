import Foundation

/// How long a GEMM takes on one device: a dense peak scaled by the efficiency curve at the GEMM's
/// size. The one GEMM-time model of a job's work: `--predict` costs a job's GEMMs with it (the
/// curve `frugal calibrate` wrote) and the batch scheduler orders and assigns items with it.
public struct GemmSpeed: Sendable, Equatable {
    /// Dense peak, GFLOP/s.
    public var peakGflopsPerSecond: Double
    /// Fraction of the peak by GEMM size.
    public var curve: GemmEfficiencyCurve

    public init(peakGflopsPerSecond: Double, curve: GemmEfficiencyCurve) {
        self.peakGflopsPerSecond = peakGflopsPerSecond
        self.curve = curve
    }

    /// A chip's BF16-class dense peak and its (calibrated) curve.
    public init(chip: Chip) {
        self.init(peakGflopsPerSecond: chip.bf16DenseTflops * 1e3, curve: chip.efficiency)
    }

    /// A speed from GEMMs timed here: each point's FLOPs (2·m·n·k) and GFLOP/s. The peak is the
    /// fastest point, each point's efficiency its rate over that peak; points of one size are
    /// averaged. Nil when no point has a finite, positive size and rate.
    public init?(measured points: [(flops: Double, gflopsPerSecond: Double)]) {
        let usable = points.filter { $0.flops.isFinite && $0.flops > 0 && $0.gflopsPerSecond.isFinite && $0.gflopsPerSecond > 0 }
        guard let peak = usable.map(\.gflopsPerSecond).max() else { return nil }
        var bySize: [Double: [Double]] = [:]
        for point in usable { bySize[point.flops / 1e9, default: []].append(point.gflopsPerSecond / peak) }
        let curvePoints = bySize.sorted { $0.key < $1.key }.map { size, efficiencies in
            GemmEfficiencyCurve.Point(sizeGflop: size, efficiency: efficiencies.reduce(0, +) / Double(efficiencies.count))
        }
        self.init(peakGflopsPerSecond: peak,
                  curve: GemmEfficiencyCurve(points: curvePoints, fp8EfficiencyScale: 1, attentionForwardEfficiency: 1,
                                             attentionBackwardEfficiency: 1, memoryEfficiency: 1))
    }

    /// Seconds of a GEMM of `flops` (2·m·n·k): `flops / (peak × efficiency(flops))`, 0 for none.
    public func seconds(flops: Double) -> Double {
        guard flops > 0 else { return 0 }
        return flops / (peakGflopsPerSecond * 1e9 * curve.efficiency(flops: flops))
    }

    /// Seconds of an m×n×k GEMM: at its measured shape's efficiency where the curve has one
    /// (``GemmEfficiencyCurve/efficiency(m:n:k:)``), else as ``seconds(flops:)``.
    public func seconds(m: Double, n: Double, k: Double) -> Double {
        let flops = 2 * m * n * k
        guard flops > 0 else { return 0 }
        return flops / (peakGflopsPerSecond * 1e9 * curve.efficiency(m: m, n: n, k: k))
    }
}
