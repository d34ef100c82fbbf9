import Config

/// One what-if change to a cluster, as `--set key=value` says it: "what if the NVLink were
/// 900 GB/s?" Each key changes exactly the figure it names.
///
/// | key | value | changes |
/// |---|---|---|
/// | `nvlink` | bandwidth (bidirectional, as datasheets quote it) | the chip's NVLink figure, and the intra-node tier's achievable bandwidth in proportion (H800: 160 of 400 GB/s → 360 at 900) |
/// | `intranode` | bandwidth per direction | the intra-node tier's achievable bandwidth |
/// | `scaleout` | bandwidth per GPU per direction | the scale-out NIC bandwidth |
/// | `bf16`, `fp8`, `fp32` | TFLOPS | the chip's dense peak at that precision |
/// | `membw` | bandwidth | the chip's memory bandwidth |
/// | `memory` | bytes (e.g. `96GB`) | the chip's memory capacity |
/// | `price` | US dollars per GPU-hour | the rental price |
///
/// Units: `GB/s`, `TB/s`, `Gb/s` (÷ 8), `MB/s`; `TFLOPS`, `PFLOPS`; `GB`, `TB`, `GiB`; `$` or none.
public struct ClusterWhatIf: Sendable, Equatable, CustomStringConvertible {
    public enum Key: String, CaseIterable, Sendable {
        case nvlink, intranode, scaleout, bf16, fp8, fp32, membw, memory, price
    }

    public var key: Key
    /// In the key's base unit: GB/s, TFLOPS, bytes or USD per GPU-hour.
    public var value: Double
    public var text: String

    public var description: String { text }

    /// Parses `key=value` (e.g. `nvlink=900GB/s`).
    public init(_ text: String) throws(WhatIfError) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw WhatIfError("'\(text)': expected key=value, e.g. nvlink=900GB/s") }
        guard let key = Key(rawValue: parts[0].lowercased()) else {
            throw WhatIfError("'\(parts[0])': unknown what-if key; known: \(Key.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.key = key
        self.text = text
        value = try Self.parse(parts[1], for: key)
    }

    public static func parseList(_ text: String) throws(WhatIfError) -> [ClusterWhatIf] {
        var result: [ClusterWhatIf] = []
        for item in text.split(separator: ",") where !item.isEmpty { result.append(try ClusterWhatIf(String(item))) }
        return result
    }

    private static func parse(_ raw: String, for key: Key) throws(WhatIfError) -> Double {
        let text = raw.replacingOccurrences(of: " ", with: "")
        let digits = text.prefix { "0123456789.eE+-".contains($0) }
        guard let number = Double(digits), number > 0, number.isFinite else {
            throw WhatIfError("\(key.rawValue)=\(raw): expected a positive number with a unit")
        }
        let unit = String(text.dropFirst(digits.count))
        let units: [String: Double]
        switch key {
        case .nvlink, .intranode, .scaleout, .membw:
            units = ["": 1, "GB/s": 1, "TB/s": 1000, "MB/s": 0.001, "Gb/s": 0.125, "Tb/s": 125]   // bits: ÷ 8
        case .bf16, .fp8, .fp32:
            units = ["": 1, "TFLOPS": 1, "PFLOPS": 1000, "TOPS": 1]
        case .memory:
            units = ["": 1e9, "GB": 1e9, "TB": 1e12, "GiB": 1_073_741_824]
        case .price:
            units = ["": 1, "$": 1, "USD": 1]
        }
        guard let scale = units[unit] else {
            throw WhatIfError("\(key.rawValue)=\(raw): unknown unit '\(unit)'; use \(units.keys.filter { !$0.isEmpty }.sorted().joined(separator: ", "))")
        }
        let value = number * scale
        let (range, unitName) = bounds(for: key)
        guard range.contains(value) else {
            throw WhatIfError("\(key.rawValue)=\(raw): expected \(Bound.describe(range.lowerBound))...\(Bound.describe(range.upperBound)) \(unitName), found \(Bound.describe(value)) \(unitName)")
        }
        return value
    }

    /// The range a changed figure must stay in: the same as the cluster and chip files' keys.
    private static func bounds(for key: Key) -> (ClosedRange<Double>, String) {
        switch key {
        case .nvlink, .intranode, .scaleout, .membw: return (HardwareBounds.gbPerSecond, "GB/s")
        case .bf16, .fp8, .fp32: return (HardwareBounds.tflops, "TFLOPS")
        case .memory: return (HardwareBounds.memoryGB.lowerBound * 1e9...HardwareBounds.memoryGB.upperBound * 1e9, "bytes")
        case .price: return (HardwareBounds.usdPerGpuHour, "USD per GPU-hour")
        }
    }

    /// Applies the change to `cluster`.
    public func apply(to cluster: inout ClusterSpec) {
        switch key {
        case .nvlink:
            let ratio = value / cluster.chip.intraNodeBidirectionalGbPerSecond
            cluster.chip.intraNodeBidirectionalGbPerSecond = value
            cluster.intraNode.gbPerSecond *= ratio
        case .intranode: cluster.intraNode.gbPerSecond = value
        case .scaleout: cluster.scaleOutGbPerSecond = value
        case .bf16: cluster.chip.bf16DenseTflops = value
        case .fp8: cluster.chip.fp8DenseTflops = value
        case .fp32: cluster.chip.fp32Tflops = value
        case .membw: cluster.chip.memoryGbPerSecond = value
        case .memory: cluster.chip.memoryBytes = value
        case .price: cluster.usdPerGpuHour = value
        }
    }
}

/// A what-if that cannot be understood.
public struct WhatIfError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = "--set " + description }
}

extension ClusterSpec {
    /// Applies `--set` texts (each one change or a comma-separated list), in order.
    public mutating func apply(whatIfs texts: [String]) throws(WhatIfError) {
        for text in texts {
            for change in try ClusterWhatIf.parseList(text) { change.apply(to: &self) }
        }
    }
}
