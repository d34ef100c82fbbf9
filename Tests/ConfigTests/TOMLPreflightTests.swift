import Foundation
import Testing
@testable import Config

/// A table header whose key starts with a character toml++ only asserts on (found by fuzzing:
/// `[,scaleOut]` aborted the process) is a syntax error with its line and column.
@Suite struct TOMLPreflightTests {
    @Test(arguments: [("[,a]\n", 1, 2), ("x = 1\n[[ =a]]\n", 2, 4), ("a = 1\n  [ !b]\n", 2, 5), ("\r\n[\t{a]\r\n", 2, 3),
                      ("[[#]]", 1, 3), ("a = 1\n[\rb]\n", 2, 2), ("[\r\nx = 1\r\n", 1, 2), ("[\n", 1, 2)])
    func badHeadersAreSyntaxErrors(text: String, line: Int, column: Int) {
        #expect {
            _ = try ConfigDocument(text: text, file: "h.toml")
        } throws: { error in
            let error = error as? ConfigError
            return error?.line == line && error?.column == column && error?.expected == "valid TOML"
                && error?.found.contains("a table header must start with a key") == true
        }
    }

    /// A `}` where an array expects a value: toml++ asserts `!is_value_terminator` (the long fuzz
    /// run found it in a chip file's efficiency points).
    @Test(arguments: [("a = [}]\n", 1, 6), ("a = [1, }]\n", 1, 9), ("a = [ # c\n}]\n", 2, 1), ("a = {b = [}]}\n", 1, 11),
                      ("a = [{}, }]\n", 1, 10), ("points = [\n}  { x = 1 },\n", 2, 1), ("a = [[}]]\n", 1, 7)])
    func aBraceInsideAnArrayIsASyntaxError(text: String, line: Int, column: Int) {
        #expect {
            _ = try ConfigDocument(text: text, file: "b.toml")
        } throws: { error in
            let error = error as? ConfigError
            return error?.line == line && error?.column == column && error?.found.contains("an array holds values, not '}'") == true
        }
    }

    @Test(arguments: [
        "a = \"\"\"\n[,not a header]\n\"\"\"\n[b]\nc = 1\n",
        "a = '''\n[,not a header]\n'''\n",
        "a = [\n  [+1, 2],\n  [ 3 ],\n]\n[b]\n",
        "[\"a,b\"]\nc = 1\n[ 'd' ]\n[[e]]\n[[ f ]]\n",
        "a = \"[,x]\" # [,y]\n",
        "a = \"\"\"x\\\n[,y]\"\"\"\n",
        "[a] # [,comment]\n",
        "a = [{ b = [1, 2] }, { c = { d = [3] } }]\n",
        "a = \"}\"\nb = ['}', \"]}\"]\n",
    ])
    func validFilesPass(text: String) {
        #expect(TOMLPreflight.firstProblem(in: text) == nil)
        #expect(throws: Never.self) { _ = try ConfigDocument(text: text, file: "ok.toml") }
    }

    @Test func everyShippedFilePasses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let cluster = root.appendingPathComponent("Cluster")
        let files = FileManager.default.enumerator(atPath: cluster.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".toml") } ?? []
        #expect(files.count >= 10)
        for file in files {
            let text = try String(contentsOf: cluster.appendingPathComponent(file), encoding: .utf8)
            #expect(TOMLPreflight.firstProblem(in: text) == nil, "\(file)")
        }
    }
}
