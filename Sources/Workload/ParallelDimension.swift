import Foundation

/// A parallel dimension whose ranks are placed on the cluster's GPUs: the placement order of
/// ``TrainingSetup/order`` lists them innermost first (consecutive GPUs differ in the first).
/// Expert parallelism is not one of them: its groups are carved out of the dp·cp·tp ranks of a
/// stage (``TrainingSetup/ep`` consecutive columns), so they follow those dimensions' placement.
public enum ParallelDimension: String, Sendable, CaseIterable, Codable {
    case tp, cp, dp, pp

    /// The order the simulator had before the order was configurable: tensor ranks consecutive,
    /// then context, then data replicas, stages outermost (Megatron-Core's default
    /// "tp-cp-ep-dp-pp" without ep, which follows dp here).
    public static let defaultOrder: [ParallelDimension] = [.tp, .cp, .dp, .pp]

    /// Reads an order like `"tp,cp,dp,pp"` (or `"tp-cp-dp-pp"`): each of tp, cp, dp and pp exactly
    /// once, innermost first. The error says what is wrong.
    public static func parseOrder(_ text: String) throws(TrainingSetupError) -> [ParallelDimension] {
        let names = text.lowercased().split(whereSeparator: { $0 == "," || $0 == "-" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var order: [ParallelDimension] = []
        for name in names {
            if name == "ep" {
                throw TrainingSetupError("order '\(text)': ep is not placed on its own (expert-parallel groups are ep consecutive ranks of the dp·cp·tp ranks of a stage): list tp, cp, dp and pp only")
            }
            guard let dimension = ParallelDimension(rawValue: name) else {
                throw TrainingSetupError("order '\(text)': '\(name)' is not a dimension: list tp, cp, dp and pp, innermost first, e.g. \"tp,cp,dp,pp\"")
            }
            guard !order.contains(dimension) else {
                throw TrainingSetupError("order '\(text)': \(name) appears twice: list each of tp, cp, dp and pp once")
            }
            order.append(dimension)
        }
        let missing = allCases.filter { !order.contains($0) }
        guard missing.isEmpty else {
            throw TrainingSetupError("order '\(text)': \(missing.map(\.rawValue).joined(separator: ", ")) missing: list each of tp, cp, dp and pp once")
        }
        return order
    }
}
