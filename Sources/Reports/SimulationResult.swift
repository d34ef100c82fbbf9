/// What `frugal simulate … --format json` prints, as far as reports use it. Every field is
/// optional and unknown keys are ignored, so simulator versions can add or drop fields.
public struct SimulationResult: Codable, Sendable, Equatable {
    /// Seconds of one training step.
    public var stepSeconds: Double?
    public var tokensPerSecondPerGpu: Double?
    /// Model FLOP utilisation, 0…1, without and with causal masking counted.
    public var mfu: Double?
    public var mfuCausal: Double?
    public var gpuHoursPerTrillionTokens: Double?
    public var trainDays: Double?
    public var gpuHours: Double?
    public var costUsd: Double?
    public var energyKwh: Double?
    public var memoryPerGpuBytes: Double?
    /// Whether the plan fits in each GPU's memory.
    public var fits: Bool?
    /// Seconds of the step by component (compute, exposed communication, bubble, …).
    public var breakdown: [String: Double]?

    public init(stepSeconds: Double? = nil, tokensPerSecondPerGpu: Double? = nil, mfu: Double? = nil,
                mfuCausal: Double? = nil, gpuHoursPerTrillionTokens: Double? = nil, trainDays: Double? = nil,
                gpuHours: Double? = nil, costUsd: Double? = nil, energyKwh: Double? = nil,
                memoryPerGpuBytes: Double? = nil, fits: Bool? = nil, breakdown: [String: Double]? = nil) {
        self.stepSeconds = stepSeconds
        self.tokensPerSecondPerGpu = tokensPerSecondPerGpu
        self.mfu = mfu
        self.mfuCausal = mfuCausal
        self.gpuHoursPerTrillionTokens = gpuHoursPerTrillionTokens
        self.trainDays = trainDays
        self.gpuHours = gpuHours
        self.costUsd = costUsd
        self.energyKwh = energyKwh
        self.memoryPerGpuBytes = memoryPerGpuBytes
        self.fits = fits
        self.breakdown = breakdown
    }

    private enum CodingKeys: String, CodingKey {
        case stepSeconds, tokensPerSecondPerGpu, mfu, mfuCausal, gpuHoursPerTrillionTokens, trainDays, gpuHours
        case costUsd, energyKwh, memoryPerGpuBytes, fits, breakdown
    }

    /// Decodes leniently: a breakdown entry that is not a number (a nested object, a string) is skipped.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func number(_ key: CodingKeys) -> Double? { try? container.decodeIfPresent(Double.self, forKey: key) }
        stepSeconds = number(.stepSeconds)
        tokensPerSecondPerGpu = number(.tokensPerSecondPerGpu)
        mfu = number(.mfu)
        mfuCausal = number(.mfuCausal)
        gpuHoursPerTrillionTokens = number(.gpuHoursPerTrillionTokens)
        trainDays = number(.trainDays)
        gpuHours = number(.gpuHours)
        costUsd = number(.costUsd)
        energyKwh = number(.energyKwh)
        memoryPerGpuBytes = number(.memoryPerGpuBytes)
        fits = try? container.decodeIfPresent(Bool.self, forKey: .fits)
        if let raw = try? container.decodeIfPresent([String: LenientNumber].self, forKey: .breakdown) {
            breakdown = raw.compactMapValues(\.value)
        }
    }
}

/// A JSON value that is a number or is ignored.
private struct LenientNumber: Decodable {
    var value: Double?
    init(from decoder: Decoder) throws { value = try? decoder.singleValueContainer().decode(Double.self) }
}
