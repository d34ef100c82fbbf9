import Testing
@testable import Config

@Suite struct ConfigDocumentTests {
    @Test func syntaxErrorNamesFileLineAndColumn() {
        #expect {
            _ = try ConfigDocument(text: "a = 1\nb = \"unterminated\n", file: "x.toml")
        } throws: { error in
            let error = error as! ConfigError
            return error.file == "x.toml" && error.line == 2 && error.column != nil && error.expected == "valid TOML"
        }
    }

    @Test func missingFileIsNamed() {
        #expect(throws: ConfigError.self) { try ConfigDocument(contentsOfFile: "/nonexistent/job.toml") }
        do {
            _ = try ConfigDocument(contentsOfFile: "/nonexistent/job.toml")
        } catch {
            #expect(error.description == "/nonexistent/job.toml: expected an existing file, found no such file")
        }
    }

    @Test func unknownKeySuggestsTheNearest() throws {
        let document = try ConfigDocument(text: "[[tasks]]\nkind = \"gemm\"\nsharing = \"rows\"\n", file: "j.toml")
        let task = try document.root.tableArray("tasks")[0]
        do {
            try task.rejectUnknownKeys(allowed: ["kind", "sharding", "m"])
            Issue.record("unknown key accepted")
        } catch {
            #expect(error.keyPath == "tasks[0].sharing")
            #expect(error.line == 3 && error.column == 1)
            #expect(error.hint == "did you mean 'sharding'?")
        }
    }

    @Test func unrelatedUnknownKeyListsValidKeys() throws {
        let document = try ConfigDocument(text: "zzzzzz = 1\n", file: "j.toml")
        do {
            try document.root.rejectUnknownKeys(allowed: ["name", "seed"])
            Issue.record("unknown key accepted")
        } catch {
            #expect(error.hint == "valid keys: name, seed")
        }
    }

    @Test func wrongTypeSaysExpectedAndFound() throws {
        let document = try ConfigDocument(text: "name = \"x\"\n\n[[tasks]]\nm = \"big\"\n\n[[tasks]]\nm = 3.5\n", file: "j.toml")
        let tasks = try document.root.tableArray("tasks")
        #expect(throws: ConfigError(file: "j.toml", line: 4, column: 1, keyPath: "tasks[0].m",
                                    expected: "an integer", found: "the string \"big\"")) {
            try tasks[0].int("m")
        }
        #expect(throws: ConfigError(file: "j.toml", line: 7, column: 1, keyPath: "tasks[1].m",
                                    expected: "an integer", found: "the number 3.5")) {
            try tasks[1].int("m")
        }
    }

    @Test func rangesAndDefaults() throws {
        let document = try ConfigDocument(text: "a = 0\nb = -2\nc = 2.5\n", file: "j.toml")
        let root = try document.root
        #expect(throws: ConfigError.self) { try root.positiveInt("a") }
        #expect(throws: ConfigError.self) { try root.nonNegativeInt("b") }
        #expect(try root.nonNegativeInt("a") == 0)
        #expect(try root.double("c") == 2.5)
        #expect(try root.double("a") == 0)
        #expect(try root.int("missing", default: 7) == 7)
        #expect(throws: ConfigError.self) { try root.int("missing") }
    }

    @Test func choiceRejectsUnknownValuesWithSuggestion() throws {
        enum Mode: String, CaseIterable { case rows, cols, grid }
        let document = try ConfigDocument(text: "mode = \"rowz\"\n", file: "j.toml")
        do {
            let _: Mode = try document.root.choice("mode")
            Issue.record("accepted")
        } catch {
            #expect(error.expected == "one of 'rows' | 'cols' | 'grid'")
            #expect(error.hint == "did you mean 'rows'?")
            #expect(error.description.hasPrefix("j.toml:1:1: mode:"))
        }
    }

    @Test func editDistance() {
        #expect(Config.editDistance("sharing", "sharding") == 1)
        #expect(Config.editDistance("", "abc") == 3)
        #expect(Config.editDistance("kitten", "sitting") == 3)
    }
}

/// The flag layer's one error, in its two message forms.
@Suite struct FlagErrorTests {
    @Test func bothForms() {
        #expect(FlagError(flag: "--ranks", expected: "an integer in 1...8", found: "0").description == "--ranks: expected an integer in 1...8, found 0")
        #expect(FlagError(flag: "--fail-rank", value: "5", expected: "a rank in 0...1").description == "--fail-rank 5: expected a rank in 0...1")
    }
}
