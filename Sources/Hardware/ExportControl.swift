/// The US export-control test for advanced computing chips (ECCN 3A090), as HARDWARE.md states
/// it, applied to a chip's published figures.
///
/// - **TPP** (total processing performance) = dense TOPS × bit length of the operation, the
///   highest over precisions (H100: 1979 dense FP8 TOPS × 8 = 15,832).
/// - **PD** (performance density) = TPP / die area in mm².
/// - **October 2022 rule**: controlled if TPP ≥ 4800 *and* bidirectional chip-to-chip I/O ≥
///   600 GB/s — the H800 and A800 cut NVLink to 400 GB/s to pass.
/// - **October 2023 rule** (no I/O test): 3A090.a if TPP ≥ 4800, or TPP ≥ 1600 with PD ≥ 5.92;
///   3A090.b if 2400 ≤ TPP < 4800 with 1.6 ≤ PD < 5.92, or TPP ≥ 1600 with 3.2 ≤ PD < 5.92.
public enum ExportControl {
    /// Outcome under one rule.
    public enum Outcome: String, Sendable, Equatable, Codable {
        /// Above the thresholds: an export licence is required (3A090, or 3A090.a under the 2023 rule).
        case controlled
        /// 3A090.b under the 2023 rule: exportable with notification (License Exception NAC).
        case notificationRequired = "controlled-3A090.b"
        /// Below every threshold.
        case notControlled = "not controlled"
        /// The rule needs a figure the catalog lacks (die area for PD).
        case unknown
    }

    /// TPP from dense throughput at each precision: (dense TOPS or TFLOPS, bit length) pairs.
    public static func tpp(_ rates: [(denseTeraOps: Double, bits: Int)]) -> Double {
        rates.map { $0.denseTeraOps * Double($0.bits) }.max() ?? 0
    }

    /// TPP / die area.
    public static func performanceDensity(tpp: Double, dieAreaMm2: Double?) -> Double? {
        guard let area = dieAreaMm2, area > 0 else { return nil }
        return tpp / area
    }

    /// October 2022: TPP ≥ 4800 and bidirectional I/O ≥ 600 GB/s.
    public static func october2022(tpp: Double, bidirectionalIoGbPerSecond: Double) -> Outcome {
        tpp >= 4800 && bidirectionalIoGbPerSecond >= 600 ? .controlled : .notControlled
    }

    /// October 2023: 3A090.a / 3A090.b / not controlled.
    public static func october2023(tpp: Double, performanceDensity pd: Double?) -> Outcome {
        if tpp >= 4800 { return .controlled }
        if tpp < 1600 { return .notControlled }
        guard let pd else { return .unknown }
        if pd >= 5.92 { return .controlled }
        if tpp >= 2400 && pd >= 1.6 { return .notificationRequired }
        if pd >= 3.2 { return .notificationRequired }
        return .notControlled
    }
}

/// A rule a chip design must stay under (`frugal chips --design --rule`).
public enum ExportRule: String, CaseIterable, Sendable {
    case oct2022, oct2023

    /// Whether `chip` is outside the rule's control (not controlled at all).
    public func allows(_ chip: Chip) -> Bool {
        switch self {
        case .oct2022:
            return ExportControl.october2022(tpp: chip.tpp, bidirectionalIoGbPerSecond: chip.intraNodeBidirectionalGbPerSecond) == .notControlled
        case .oct2023:
            return ExportControl.october2023(tpp: chip.tpp, performanceDensity: chip.performanceDensity) == .notControlled
        }
    }
}
