/// One line of the optional `predictions.jsonl` beside a results folder: what the simulator
/// predicted for a task on a rank and what was measured (calibration writes these).
public struct PredictionRecord: Codable, Sendable, Equatable {
    public var task: String
    public var rank: Int?
    public var kind: String?
    public var predictedSeconds: Double
    public var measuredSeconds: Double

    public init(task: String, rank: Int? = nil, kind: String? = nil, predictedSeconds: Double, measuredSeconds: Double) {
        self.task = task
        self.rank = rank
        self.kind = kind
        self.predictedSeconds = predictedSeconds
        self.measuredSeconds = measuredSeconds
    }
}
