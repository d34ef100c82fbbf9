import Config

/// How close to the BF16 dense peak a chip's fused attention kernels run, per FlashAttention
/// version (a chip file's `[attention]`: `flash2 = { forward, backward }`, `flash3 = { … }`).
/// A version without figures is one the chip does not run or has none published for: asked for
/// FlashAttention-3, a chip without its figures runs FlashAttention-2's; without those, the
/// chip's calibrated ``GemmEfficiencyCurve/attentionForwardEfficiency`` and backward.
public struct AttentionKernelEfficiencies: Sendable, Equatable {
    /// Forward and backward fractions of the BF16 dense peak.
    public struct Pass: Sendable, Equatable {
        public var forward: Double, backward: Double
        public init(forward: Double, backward: Double) {
            self.forward = forward
            self.backward = backward
        }
    }

    /// FlashAttention-2 (Dao, arXiv:2307.08691).
    public var flash2: Pass?
    /// FlashAttention-3 (Shah et al., arXiv:2407.08608; Hopper only).
    public var flash3: Pass?

    public init(flash2: Pass? = nil, flash3: Pass? = nil) {
        self.flash2 = flash2
        self.flash3 = flash3
    }

    /// Decodes `[attention]`.
    public init(table: ConfigTable) throws(ConfigError) {
        try table.rejectUnknownKeys(allowed: ["flash2", "flash3"])
        func pass(_ key: String) throws(ConfigError) -> Pass? {
            guard let inner = try table.table(key) else { return nil }
            try inner.rejectUnknownKeys(allowed: ["forward", "backward"])
            return Pass(forward: try inner.double("forward", in: HardwareBounds.fraction),
                        backward: try inner.double("backward", in: HardwareBounds.fraction))
        }
        self.init(flash2: try pass("flash2"), flash3: try pass("flash3"))
    }
}
