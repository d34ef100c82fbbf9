import Foundation

/// Structure-aware mutations of a text input (TOML, JSON lines or a flag value), plus plain byte
/// flips. Every choice comes from the ``FuzzRandom`` it is given, so a mutation is a pure
/// function of (input, dictionary, generator state).
struct Mutator {
    /// The largest input produced; longer results are cut.
    static let maxInputBytes = 256 * 1024

    /// Numbers that have broken parsers and arithmetic before: zero, signs, the Int32 and Int64
    /// edges, the Double extremes, non-finite spellings, negative zero.
    static let hostileNumbers = [
        "0", "-1", "1", "2", "3", "7", "-0.0", "0.0", "0.5", "65536", "1000000", "99999999999",
        "2147483647", "2147483648", "4294967296", "-2147483649", "4611686018427387904",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e18",
        "1e308", "-1e308", "1.7976931348623157e308", "1e-300", "5e-324", "-1e-300",
        "nan", "+nan", "-nan", "inf", "+inf", "-inf", "0x7fffffffffffffff", "1_000_000", "1e", "--1", "00",
    ]

    /// Bytes worth inserting: TOML/JSON structure and separators of the flag syntaxes.
    static let structuralBytes: [UInt8] = Array("\"'[]{}=,.-+:#\n\r\t \\0x_e".utf8) + [0x00, 0xFF, 0xC3, 0x80]

    /// Keys and tokens of the input language (from the seeds and the target), inserted as
    /// `key = hostile` lines or as raw tokens.
    var dictionary: [String]

    /// Applies 1–5 stacked mutations; `splice` gives lines from other seeds of the same target.
    func mutate(_ input: [UInt8], splice: [[UInt8]], random: inout FuzzRandom) -> [UInt8] {
        var bytes = input
        let count = 1 + random.below(random.chance(1, in: 4) ? 8 : 3)
        for _ in 0..<count {
            bytes = mutateOnce(bytes, splice: splice, random: &random)
        }
        return bytes.count > Self.maxInputBytes ? Array(bytes.prefix(Self.maxInputBytes)) : bytes
    }

    /// One mutation, chosen by weight: number replacement is the most useful one.
    func mutateOnce(_ bytes: [UInt8], splice: [[UInt8]], random: inout FuzzRandom) -> [UInt8] {
        switch random.below(20) {
        case 0..<6: return replaceNumber(bytes, random: &random)
        case 6: return replaceString(bytes, random: &random)
        case 7: return deleteLine(bytes, random: &random)
        case 8: return duplicateLine(bytes, random: &random)
        case 9: return moveLine(bytes, random: &random)
        case 10: return swapTableHeaders(bytes, random: &random)
        case 11: return insertKey(bytes, random: &random)
        case 12: return spliceLine(bytes, from: splice, random: &random)
        case 13: return insertCRLF(bytes, random: &random)
        case 14: return truncate(bytes, random: &random)
        case 15: return insertToken(bytes, random: &random)
        case 16: return flipBit(bytes, random: &random)
        case 17: return setByte(bytes, random: &random)
        case 18: return deleteBytes(bytes, random: &random)
        default: return replaceNumber(bytes, random: &random, derived: true)
        }
    }

    // MARK: Tokens

    /// Byte ranges of number-like tokens (digits with signs, dots, exponents, underscores) and of
    /// the words nan/inf/true/false.
    static func numberRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 97 && (byte | 0x20) <= 122 }
        while index < bytes.count {
            let byte = bytes[index]
            let startsNumber = isDigit(byte) || ((byte == 45 || byte == 43) && index + 1 < bytes.count && isDigit(bytes[index + 1]))
            if startsNumber && (index == 0 || !isLetter(bytes[index - 1])) {
                var end = index + 1
                while end < bytes.count, isDigit(bytes[end]) || bytes[end] == 46 || bytes[end] == 95
                        || bytes[end] == 101 || bytes[end] == 69
                        || ((bytes[end] == 45 || bytes[end] == 43) && (bytes[end - 1] | 0x20) == 101) {
                    end += 1
                }
                ranges.append(index..<end)
                index = end
            } else if isLetter(byte) {
                var end = index + 1
                while end < bytes.count, isLetter(bytes[end]) || isDigit(bytes[end]) { end += 1 }
                let word = String(decoding: bytes[index..<end], as: UTF8.self)
                if ["nan", "inf", "true", "false"].contains(word) { ranges.append(index..<end) }
                index = end
            } else {
                index += 1
            }
        }
        return ranges
    }

    /// Replaces a number with a hostile one, or (derived) with a value near or far from it.
    func replaceNumber(_ bytes: [UInt8], random: inout FuzzRandom, derived: Bool = false) -> [UInt8] {
        let ranges = Self.numberRanges(bytes)
        guard !ranges.isEmpty else { return insertToken(bytes, random: &random) }
        let range = random.pick(ranges)
        var replacement = random.pick(Self.hostileNumbers)
        if derived, let value = Int(String(decoding: bytes[range], as: UTF8.self)) {
            let candidates = [value &+ 1, value &- 1, value &* 2, value &* 1000, 0 &- value, value &* 1_000_000_007, value / 2]
            replacement = String(random.pick(candidates))
        }
        return Array(bytes[..<range.lowerBound]) + Array(replacement.utf8) + Array(bytes[range.upperBound...])
    }

    /// Replaces the contents of a quoted string with a long, empty or odd one.
    func replaceString(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        let quotes = bytes.indices.filter { bytes[$0] == 34 }
        guard quotes.count >= 2 else { return insertToken(bytes, random: &random) }
        let pair = random.below(quotes.count / 2) * 2
        let start = quotes[pair] + 1, end = quotes[pair + 1]
        let choices: [String] = [
            "", " ", String(repeating: "A", count: 4096), String(repeating: "x", count: 70_000), "a\\\"b", "a\\nb = 1",
            "../../../etc/passwd", "%s%n", "é∂😀", "\\u0000", "1e308", "nan", "-1",
        ] + dictionary
        let replacement = Array(random.pick(choices).utf8)
        return Array(bytes[..<start]) + replacement + Array(bytes[end...])
    }

    // MARK: Lines

    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
    }

    static func join(_ lines: [[UInt8]]) -> [UInt8] { Array(lines.joined(separator: [10])) }

    func deleteLine(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        var lines = Self.lines(bytes)
        guard lines.count > 1 else { return truncate(bytes, random: &random) }
        lines.remove(at: random.below(lines.count))
        return Self.join(lines)
    }

    func duplicateLine(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        var lines = Self.lines(bytes)
        let index = random.below(lines.count)
        let copies = random.chance(1, in: 8) ? 64 : 1
        lines.insert(contentsOf: Array(repeating: lines[index], count: copies), at: random.below(lines.count + 1))
        return Self.join(lines)
    }

    /// Moves a line elsewhere: a key lands in another table.
    func moveLine(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        var lines = Self.lines(bytes)
        guard lines.count > 1 else { return bytes }
        let line = lines.remove(at: random.below(lines.count))
        lines.insert(line, at: random.below(lines.count + 1))
        return Self.join(lines)
    }

    /// Swaps two `[table]` / `[[array]]` headers: keys end up under the wrong table.
    func swapTableHeaders(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        var lines = Self.lines(bytes)
        let headers = lines.indices.filter { lines[$0].first == 91 }
        guard headers.count >= 2 else { return moveLine(bytes, random: &random) }
        let a = random.pick(headers), b = random.pick(headers)
        lines.swapAt(a, b)
        return Self.join(lines)
    }

    /// Inserts `key = hostile` with a key of the input's language.
    func insertKey(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        guard !dictionary.isEmpty else { return insertToken(bytes, random: &random) }
        var lines = Self.lines(bytes)
        let value = random.chance(1, in: 4) ? "\"\(random.pick(dictionary))\"" : random.pick(Self.hostileNumbers)
        lines.insert(Array("\(random.pick(dictionary)) = \(value)".utf8), at: random.below(lines.count + 1))
        return Self.join(lines)
    }

    func spliceLine(_ bytes: [UInt8], from others: [[UInt8]], random: inout FuzzRandom) -> [UInt8] {
        guard !others.isEmpty else { return duplicateLine(bytes, random: &random) }
        let donor = Self.lines(random.pick(others))
        var lines = Self.lines(bytes)
        lines.insert(random.pick(donor), at: random.below(lines.count + 1))
        return Self.join(lines)
    }

    /// CRLF line ends everywhere, or one stray CR.
    func insertCRLF(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        if random.chance(1, in: 2) {
            return Array(Self.lines(bytes).joined(separator: [13, 10]))
        }
        var copy = bytes
        copy.insert(contentsOf: random.chance(1, in: 2) ? [13, 10] : [13], at: random.below(copy.count + 1))
        return copy
    }

    // MARK: Bytes

    func truncate(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        Array(bytes.prefix(random.below(bytes.count + 1)))
    }

    func insertToken(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        let tokens = dictionary + Self.hostileNumbers + [",", "=", "-", "[", "]", "[[", "\"", "\n", "=\n", " = {", "}"]
        var copy = bytes
        copy.insert(contentsOf: Array(random.pick(tokens).utf8), at: random.below(copy.count + 1))
        return copy
    }

    func flipBit(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        guard !bytes.isEmpty else { return insertToken(bytes, random: &random) }
        var copy = bytes
        copy[random.below(copy.count)] ^= UInt8(1 << random.below(8))
        return copy
    }

    func setByte(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        var copy = bytes
        let byte = random.pick(Self.structuralBytes)
        if copy.isEmpty || random.chance(1, in: 2) {
            copy.insert(byte, at: random.below(copy.count + 1))
        } else {
            copy[random.below(copy.count)] = byte
        }
        return copy
    }

    func deleteBytes(_ bytes: [UInt8], random: inout FuzzRandom) -> [UInt8] {
        guard !bytes.isEmpty else { return bytes }
        let start = random.below(bytes.count)
        let length = 1 + random.below(min(16, bytes.count - start))
        return Array(bytes[..<start]) + Array(bytes[(start + length)...])
    }

    /// Keys of a TOML or JSON text (`key =` and `"key":`), for ``dictionary``.
    static func keys(in bytes: [UInt8]) -> [String] {
        var keys: Set<String> = []
        for line in lines(bytes) {
            let text = String(decoding: line, as: UTF8.self)
            if let equals = text.firstIndex(of: "=") {
                let key = text[..<equals].trimmingCharacters(in: .whitespaces)
                if !key.isEmpty, key.count < 40, !key.contains(" "), !key.hasPrefix("#") { keys.insert(key) }
            }
            var rest = Substring(text)
            while let quote = rest.firstIndex(of: "\"") {
                let after = rest[rest.index(after: quote)...]
                guard let close = after.firstIndex(of: "\"") else { break }
                let word = after[..<close]
                let tail = after[after.index(after: close)...]
                if tail.first == ":", !word.isEmpty, word.count < 40 { keys.insert(String(word)) }
                rest = tail
            }
        }
        return keys.sorted()
    }
}
