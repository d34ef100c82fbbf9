import Config

/// A figure a paper publishes about a training run, in the paper's own definition: what it
/// measures, its value, and for FLOP-based figures which FLOPs it counts (model FLOPs alone or
/// with one recomputed forward, causal or full attention) and against which peak.
/// Read from a `[[metric]]` table of `Cluster/validation/<run>/published.toml`.
public struct PublishedMetric: Sendable, Equatable {
    /// What is measured.
    public enum Kind: String, Sendable, CaseIterable {
        /// Seconds per optimizer step.
        case stepSeconds
        /// Training tokens per second per GPU.
        case tokensPerSecondPerGpu
        /// GPU-hours per 10¹² training tokens.
        case gpuHoursPerTrillionTokens
        /// Achieved TFLOP/s per GPU (FLOPs as ``PublishedMetric/flops`` and ``PublishedMetric/attention`` say).
        case tflopsPerGpu
        /// FLOP utilisation in percent of ``PublishedMetric/peakTflops``.
        case mfu

        /// Whether the figure counts FLOPs (and so needs a FLOP definition).
        public var countsFlops: Bool { self == .tflopsPerGpu || self == .mfu }
        /// Unit for tables.
        public var unit: String {
            switch self {
            case .stepSeconds: "s"
            case .tokensPerSecondPerGpu: "tok/s/GPU"
            case .gpuHoursPerTrillionTokens: "GPU-h/1e12 tok"
            case .tflopsPerGpu: "TFLOP/s/GPU"
            case .mfu: "% MFU"
            }
        }
    }

    /// Which FLOPs a FLOP-based figure counts.
    public enum FlopCount: String, Sendable, CaseIterable {
        /// Forward + backward of the model (3 × forward), no recomputation.
        case model
        /// Model FLOPs plus one recomputed forward of the transformer layers (not of the output
        /// head): Megatron's 96·B·s·l·h²·(1 + s/6h + V/16lh), the count of full recomputation.
        case modelPlusRecompute = "model+recompute"
    }

    /// Whether attention FLOPs count the full s × s score matrix or only its causal half.
    public enum AttentionCount: String, Sendable, CaseIterable {
        case full, causal
    }

    public var kind: Kind
    public var value: Double
    public var flops: FlopCount
    public var attention: AttentionCount
    /// The peak an MFU is relative to (TFLOP/s); nil: the chip's BF16 dense peak.
    public var peakTflops: Double?
    /// The paper's own words for the figure.
    public var definition: String

    public init(kind: Kind, value: Double, flops: FlopCount = .model, attention: AttentionCount = .full,
                peakTflops: Double? = nil, definition: String = "") {
        self.kind = kind
        self.value = value
        self.flops = flops
        self.attention = attention
        self.peakTflops = peakTflops
        self.definition = definition
    }

    /// A short label of the definition: `TFLOP/s/GPU (model+recompute, full attn)`.
    public var label: String {
        guard kind.countsFlops else { return kind.unit }
        return "\(kind.unit) (\(flops.rawValue), \(attention.rawValue) attn)"
    }

    /// Bounds of a published value: positive, finite, below absurd (an MFU at most 100 %).
    static let valueRange: ClosedRange<Double> = 1e-9...1e12
    static let peakRange: ClosedRange<Double> = 1...1e6

    /// Decodes one `[[metric]]` table.
    public init(table: ConfigTable) throws(ConfigError) {
        try table.rejectUnknownKeys(allowed: ["kind", "value", "flops", "attention", "peakTflops", "definition"])
        let kind: Kind = try table.choice("kind")
        let value = try table.double("value", in: kind == .mfu ? 1e-9...100 : Self.valueRange)
        if !kind.countsFlops {
            for key in ["flops", "attention", "peakTflops"] where table.contains(key) {
                throw table.error(key, expected: "no FLOP definition for kind '\(kind.rawValue)'", found: "'\(key)'")
            }
        }
        if kind != .mfu && table.contains("peakTflops") {
            throw table.error("peakTflops", expected: "peakTflops only with kind 'mfu'", found: "'peakTflops'")
        }
        self.init(kind: kind, value: value,
                  flops: try table.choice("flops", default: kind.countsFlops ? nil : .model),
                  attention: try table.choice("attention", default: kind.countsFlops ? nil : .full),
                  peakTflops: try table.optionalDouble("peakTflops", in: Self.peakRange),
                  definition: try table.string("definition"))
    }
}

/// What a simulated step gives, in the quantities every published definition is built from.
public struct SimulatedFigures: Sendable, Equatable {
    public var stepSeconds: Double
    public var tokensPerSecondPerGpu: Double
    public var gpuHoursPerTrillionTokens: Double
    /// Model FLOPs per token (forward + backward), full and causal attention.
    public var modelFlopsPerToken: Double
    public var modelFlopsPerTokenCausal: Double
    /// One forward of the transformer layers per token (what full recomputation adds), full and causal.
    public var recomputeFlopsPerToken: Double
    public var recomputeFlopsPerTokenCausal: Double
    /// The chip's BF16 dense peak, TFLOP/s.
    public var peakTflops: Double

    public init(stepSeconds: Double, tokensPerSecondPerGpu: Double, gpuHoursPerTrillionTokens: Double,
                modelFlopsPerToken: Double, modelFlopsPerTokenCausal: Double,
                recomputeFlopsPerToken: Double, recomputeFlopsPerTokenCausal: Double, peakTflops: Double) {
        self.stepSeconds = stepSeconds
        self.tokensPerSecondPerGpu = tokensPerSecondPerGpu
        self.gpuHoursPerTrillionTokens = gpuHoursPerTrillionTokens
        self.modelFlopsPerToken = modelFlopsPerToken
        self.modelFlopsPerTokenCausal = modelFlopsPerTokenCausal
        self.recomputeFlopsPerToken = recomputeFlopsPerToken
        self.recomputeFlopsPerTokenCausal = recomputeFlopsPerTokenCausal
        self.peakTflops = peakTflops
    }

    /// FLOPs per token as `metric` counts them.
    public func flopsPerToken(_ metric: PublishedMetric) -> Double {
        let causal = metric.attention == .causal
        let model = causal ? modelFlopsPerTokenCausal : modelFlopsPerToken
        let recompute = causal ? recomputeFlopsPerTokenCausal : recomputeFlopsPerToken
        return model + (metric.flops == .modelPlusRecompute ? recompute : 0)
    }

    /// The simulated value of `metric`, in its own definition and unit.
    public func value(of metric: PublishedMetric) -> Double {
        switch metric.kind {
        case .stepSeconds: return stepSeconds
        case .tokensPerSecondPerGpu: return tokensPerSecondPerGpu
        case .gpuHoursPerTrillionTokens: return gpuHoursPerTrillionTokens
        case .tflopsPerGpu: return flopsPerToken(metric) * tokensPerSecondPerGpu / 1e12
        case .mfu: return 100 * flopsPerToken(metric) * tokensPerSecondPerGpu / 1e12 / (metric.peakTflops ?? peakTflops)
        }
    }
}
