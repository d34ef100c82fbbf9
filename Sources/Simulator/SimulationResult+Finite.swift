import Program
import Foundation

extension SimulationResult {
    /// Every number of the result that is NaN or ±infinity, by key path (e.g.
    /// `breakdown.exposedCommunicationSeconds.allToAllDispatch`), the breakdown's terms first
    /// (where a non-finite value starts), then the step time, then the rest in key order. Empty
    /// when all are finite.
    public func nonFiniteTerms() -> [(term: String, value: String)] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: Self.marker + "inf",
                                                                  negativeInfinity: Self.marker + "-inf",
                                                                  nan: Self.marker + "nan")
        guard let data = try? encoder.encode(self), let object = try? JSONSerialization.jsonObject(with: data) else {
            return [("result", "not encodable")]
        }
        var found: [(term: String, value: String)] = []
        Self.collect(object, path: "", into: &found)
        func order(_ term: String) -> Int { term.hasPrefix("breakdown.") ? 0 : term == "stepSeconds" ? 1 : 2 }
        return found.enumerated().sorted { (order($0.element.term), $0.offset) < (order($1.element.term), $1.offset) }.map(\.element)
    }

    /// The message of a result with non-finite terms, naming them, or nil when every term is finite.
    public func nonFiniteMessage() -> String? {
        let terms = nonFiniteTerms()
        guard let first = terms.first else { return nil }
        let others = terms.dropFirst().prefix(6).map(\.term)
        return "the simulated \(first.term) is not finite (\(first.value))"
            + (others.isEmpty ? "" : "; also \(others.joined(separator: ", "))\(terms.count > 7 ? ", …" : "")")
            + ": a rate or bandwidth of the cluster is too small or too large for the step (check --set and the cluster file)"
    }

    private static let marker = "\u{1}nonfinite:"

    private static func collect(_ value: Any, path: String, into found: inout [(term: String, value: String)]) {
        if let text = value as? String, text.hasPrefix(marker) {
            found.append((path, String(text.dropFirst(marker.count))))
        } else if let object = value as? [String: Any] {
            for key in object.keys.sorted() {
                collect(object[key] as Any, path: path.isEmpty ? key : path + "." + key, into: &found)
            }
        } else if let array = value as? [Any] {
            for (index, element) in array.enumerated() { collect(element, path: "\(path)[\(index)]", into: &found) }
        }
    }
}
