/// One line of `DIR/sweep.jsonl`, and the contents of a finished point's marker
/// `DIR/points/<id>/done.json`: the point, whether it finished, and when.
public struct SweepIndexEntry: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Not run yet (or interrupted).
        case pending
        /// Complete: its marker exists.
        case done
        /// Ran and failed; `message` says why. Rerunning the sweep tries it again.
        case failed
    }

    public var point: SweepPoint
    public var status: Status
    /// Mirrors `point.oversubscribed` at the top level so that every output carries it.
    public var oversubscribed: Bool
    /// ISO 8601, UTC.
    public var startTime: String?
    public var endTime: String?
    public var seconds: Double?
    /// The point's output relative to the sweep folder: `points/<id>/results.jsonl` or `points/<id>/simulation.json`.
    public var output: String?
    public var message: String?

    public init(point: SweepPoint, status: Status, startTime: String? = nil, endTime: String? = nil,
                seconds: Double? = nil, output: String? = nil, message: String? = nil) {
        self.point = point
        self.status = status
        self.oversubscribed = point.oversubscribed
        self.startTime = startTime
        self.endTime = endTime
        self.seconds = seconds
        self.output = output
        self.message = message
    }
}
