/// A simulation that cannot run (a bad combination of inputs), said with the fix.
public struct SimulationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
