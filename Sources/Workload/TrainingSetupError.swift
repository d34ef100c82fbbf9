/// A training setup that cannot run, said with the fix.
public struct TrainingSetupError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What is wrong and how to fix it.
    public var description: String
    public init(_ description: String) { self.description = description }
}
