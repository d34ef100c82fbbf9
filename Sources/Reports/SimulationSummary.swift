/// What `frugal simulate … --format json` prints, as far as reports use it. Every field is
/// optional and unknown keys are ignored, so simulator versions can add or drop fields.
public struct SimulationSummary: Codable, Sendable, Equatable {
    /// The chip's name and the cluster's GPU count, when the simulator reports them.
    public var chip: String?
    public var gpus: Int?
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
    /// With failures (the simulator's goodput model): useful over wall time, and the run's
    /// days, GPU-hours and dollars including checkpoints, lost work and restarts.
    public var goodput: Double?
    public var trainDaysWithFailures: Double?
    public var gpuHoursWithFailures: Double?
    public var costUsdWithFailures: Double?
    /// Whether the plan fits in each GPU's memory.
    public var fits: Bool?
    /// Seconds of the step by component (compute, exposed communication, bubble, …). Nested
    /// objects are flattened with dotted keys and a `Seconds` suffix is dropped:
    /// `{"computeSeconds": 1, "exposedCommunicationSeconds": {"alltoall": 2}}` becomes
    /// `["compute": 1, "exposedCommunication.alltoall": 2]`.
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
        case chip, gpus, stepSeconds, tokensPerSecondPerGpu, mfu, mfuCausal, gpuHoursPerTrillionTokens, trainDays, gpuHours
        case costUsd, energyKwh, memoryPerGpuBytes, fits, breakdown
        case goodput, trainDaysWithFailures, gpuHoursWithFailures, costUsdWithFailures
    }

    private struct GoodputBlock: Decodable { var goodput: Double? }

    /// Decodes leniently: a breakdown entry that is not a number (a nested object, a string) is skipped.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        chip = try? container.decodeIfPresent(String.self, forKey: .chip)
        gpus = try? container.decodeIfPresent(Int.self, forKey: .gpus)
        func number(_ key: CodingKeys) -> Double? { try? container.decodeIfPresent(Double.self, forKey: key) }
        stepSeconds = number(.stepSeconds)
        tokensPerSecondPerGpu = number(.tokensPerSecondPerGpu)
        mfu = number(.mfu)
        mfuCausal = number(.mfuCausal)
        gpuHoursPerTrillionTokens = number(.gpuHoursPerTrillionTokens)
        trainDays = number(.trainDays)
        gpuHours = number(.gpuHours)
        costUsd = number(.costUsd)
        goodput = (try? container.decodeIfPresent(GoodputBlock.self, forKey: .goodput))??.goodput ?? number(.goodput)
        trainDaysWithFailures = number(.trainDaysWithFailures)
        gpuHoursWithFailures = number(.gpuHoursWithFailures)
        costUsdWithFailures = number(.costUsdWithFailures)
        energyKwh = number(.energyKwh)
        memoryPerGpuBytes = number(.memoryPerGpuBytes)
        fits = try? container.decodeIfPresent(Bool.self, forKey: .fits)
        if let raw = try? container.decodeIfPresent(BreakdownValue.self, forKey: .breakdown) {
            var flat: [String: Double] = [:]
            raw.flatten(prefix: "", into: &flat)
            breakdown = flat
        }
    }

    /// Encodes the fields above (the breakdown flattened).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(chip, forKey: .chip)
        try container.encodeIfPresent(gpus, forKey: .gpus)
        try container.encodeIfPresent(stepSeconds, forKey: .stepSeconds)
        try container.encodeIfPresent(tokensPerSecondPerGpu, forKey: .tokensPerSecondPerGpu)
        try container.encodeIfPresent(mfu, forKey: .mfu)
        try container.encodeIfPresent(mfuCausal, forKey: .mfuCausal)
        try container.encodeIfPresent(gpuHoursPerTrillionTokens, forKey: .gpuHoursPerTrillionTokens)
        try container.encodeIfPresent(trainDays, forKey: .trainDays)
        try container.encodeIfPresent(gpuHours, forKey: .gpuHours)
        try container.encodeIfPresent(costUsd, forKey: .costUsd)
        try container.encodeIfPresent(goodput, forKey: .goodput)
        try container.encodeIfPresent(trainDaysWithFailures, forKey: .trainDaysWithFailures)
        try container.encodeIfPresent(gpuHoursWithFailures, forKey: .gpuHoursWithFailures)
        try container.encodeIfPresent(costUsdWithFailures, forKey: .costUsdWithFailures)
        try container.encodeIfPresent(energyKwh, forKey: .energyKwh)
        try container.encodeIfPresent(memoryPerGpuBytes, forKey: .memoryPerGpuBytes)
        try container.encodeIfPresent(fits, forKey: .fits)
        try container.encodeIfPresent(breakdown, forKey: .breakdown)
    }
}

/// A breakdown value: a number, an object of them (nested), or anything else (ignored).
private enum BreakdownValue: Decodable {
    case number(Double)
    case object([String: BreakdownValue])
    case other

    init(from decoder: Decoder) throws {
        if let value = try? decoder.singleValueContainer().decode(Double.self) {
            self = .number(value)
        } else if let object = try? decoder.singleValueContainer().decode([String: BreakdownValue].self) {
            self = .object(object)
        } else {
            self = .other
        }
    }

    func flatten(prefix: String, into result: inout [String: Double]) {
        switch self {
        case .number(let value): result[prefix] = value
        case .object(let object):
            for (key, value) in object {
                let name = key.hasSuffix("Seconds") && key != "Seconds" ? String(key.dropLast("Seconds".count)) : key
                value.flatten(prefix: prefix.isEmpty ? name : prefix + "." + name, into: &result)
            }
        case .other: break
        }
    }
}
