import TOMLKit

extension ConfigTable {
    /// An array of strings of at most `maxCount` elements, or nil when absent.
    public func stringArray(_ key: String, maxCount: Int) throws(ConfigError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard value.type == .array, let array = value.array else {
            throw error(key, expected: "an array of strings", found: describe(value))
        }
        guard array.count <= maxCount else {
            throw error(key, expected: "at most \(maxCount) strings", found: "\(array.count)")
        }
        var result: [String] = []
        for index in 0..<array.count {
            let element = array[index]
            guard element.type == .string, let string = element.string else {
                throw document.error(at: path + [.key(key), .index(index)], expected: "a string", found: describe(element))
            }
            result.append(string)
        }
        return result
    }
}
