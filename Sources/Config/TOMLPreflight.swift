/// Checks what TOMLKit's parser (toml++) assumes instead of checking (`TOML_ASSERT_ASSUME`: an
/// abort where assertions are on — SwiftPM builds the C++ with them on, release too — and
/// undefined behaviour where they are off), so such a file is an ordinary syntax error with its
/// line and column instead:
/// - the first key of a table header (`[,a]`, `[[ =x]]`) starts with a bare-key character or a quote;
/// - a `}` never stands where an array expects a value (`a = [1, }]`, found by fuzzing).
///
/// The scan follows just enough TOML to find header lines: strings (basic, literal and their
/// multi-line forms), comments, and arrays that span lines (a `[` inside one is a value).
struct TOMLPreflight {
    struct Problem: Equatable {
        var line: Int
        var column: Int
        /// The offending character, control characters escaped (`\r`).
        var found: String
        /// What is wrong, for the message.
        var rule: String = "a table header must start with a key"
    }

    /// The first place toml++ would assert on, or nil.
    static func firstProblem(in text: String) -> Problem? {
        let scalars = Array(text.unicodeScalars)
        var index = 0, line = 1, lineStart = 0
        var open: [Unicode.Scalar] = []   // the [ and { of values still open, innermost last
        var depth: Int { open.count }
        var atLineStart = true       // only whitespace so far on this line
        func peek(_ offset: Int) -> Unicode.Scalar? { index + offset < scalars.count ? scalars[index + offset] : nil }
        while index < scalars.count {
            let c = scalars[index]
            if c == "\n" {
                line += 1; index += 1; lineStart = index; atLineStart = true
                continue
            }
            if c == " " || c == "\t" || c == "\r" { index += 1; continue }
            if atLineStart && depth == 0 && c == "[" {
                if let problem = checkHeader(scalars, from: index, line: line, lineStart: lineStart) { return problem }
                // Skip the header line: its keys may hold quotes, but never a value.
                index = skipHeader(scalars, from: index)
                atLineStart = false
                continue
            }
            atLineStart = false
            switch c {
            case "#":
                while index < scalars.count && scalars[index] != "\n" { index += 1 }
            case "\"", "'":
                let multi = peek(1) == c && peek(2) == c
                index = skipString(scalars, from: index, quote: c, multiLine: multi, line: &line, lineStart: &lineStart)
            case "[", "{":
                open.append(c); index += 1
            case "]", "}":
                if c == "}" && open.last == "[" {
                    return Problem(line: line, column: index - lineStart + 1, found: "}", rule: "an array holds values, not '}'")
                }
                _ = open.popLast(); index += 1
            default:
                index += 1
            }
        }
        return nil
    }

    private static func isKeyStart(_ c: Unicode.Scalar) -> Bool {
        c == "\"" || c == "'" || c == "_" || c == "-" || c == "]" || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
            || ("0"..."9").contains(c)
    }

    /// `[`, spaces, an optional second `[` (contiguous), spaces, then the key's first character.
    private static func checkHeader(_ scalars: [Unicode.Scalar], from start: Int, line: Int, lineStart: Int) -> Problem? {
        var index = start + 1
        func skipBlanks() { while index < scalars.count && (scalars[index] == " " || scalars[index] == "\t") { index += 1 } }
        if index < scalars.count && scalars[index] == "[" { index += 1 }
        skipBlanks()
        guard index < scalars.count else { return nil }
        let c = scalars[index]
        // A line break is no key either: toml++ asserts on `[` followed by "\r" or "\n".
        if isKeyStart(c) { return nil }
        return Problem(line: line, column: index - lineStart + 1, found: c.escaped(asASCII: true))
    }

    private static func skipHeader(_ scalars: [Unicode.Scalar], from start: Int) -> Int {
        var index = start
        while index < scalars.count && scalars[index] != "\n" && scalars[index] != "#" {
            if scalars[index] == "\"" || scalars[index] == "'" {
                let quote = scalars[index]
                index += 1
                while index < scalars.count && scalars[index] != quote && scalars[index] != "\n" {
                    if quote == "\"" && scalars[index] == "\\" { index += 1 }
                    index += 1
                }
            }
            index += 1
        }
        return index
    }

    private static func skipString(_ scalars: [Unicode.Scalar], from start: Int, quote: Unicode.Scalar, multiLine: Bool,
                                   line: inout Int, lineStart: inout Int) -> Int {
        var index = start + (multiLine ? 3 : 1)
        while index < scalars.count {
            let c = scalars[index]
            if c == "\\" && quote == "\"" {
                if index + 1 < scalars.count && scalars[index + 1] == "\n" { line += 1; lineStart = index + 2 }
                index += 2
                continue
            }
            if c == "\n" {
                guard multiLine else { return index }   // an unterminated string: toml++ reports it
                line += 1; lineStart = index + 1
            }
            if c == quote {
                if !multiLine { return index + 1 }
                if index + 2 < scalars.count && scalars[index + 1] == quote && scalars[index + 2] == quote {
                    // Up to two more quotes may close the string ("""a"""").
                    var end = index + 3
                    while end < scalars.count && scalars[end] == quote && end < index + 5 { end += 1 }
                    return end
                }
            }
            index += 1
        }
        return index
    }
}
