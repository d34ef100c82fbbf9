import Testing
@testable import Config

/// The bounded accessors every decoder reads numbers through, and line:col in CRLF files.
@Suite struct ConfigBoundsTests {
    func root(_ text: String) throws -> ConfigTable {
        try ConfigDocument(text: text, file: "b.toml").root
    }

    @Test func integerOutsideItsRangeNamesKeyAndBound() throws {
        let table = try root("a = 1\nhidden = 9223372036854775807\n")
        #expect(throws: ConfigError(file: "b.toml", line: 2, column: 1, keyPath: "hidden",
                                    expected: "an integer in 1...1048576", found: "9223372036854775807")) {
            try table.int("hidden", in: 1...1_048_576)
        }
        #expect(try table.int("a", in: 1...1) == 1)
        #expect(try table.int("missing", in: 1...4, default: 3) == 3)
        #expect(try table.optionalInt("missing", in: 1...4) == nil)
    }

    @Test(arguments: ["nan", "+nan", "-nan", "inf", "+inf", "-inf"])
    func nonFiniteNumbersAreRejectedByEveryDoubleAccessor(value: String) throws {
        let table = try root("x = \(value)\nlist = [1.0, \(value)]\n")
        #expect { try table.double("x") } throws: { ($0 as? ConfigError)?.expected == "a finite number" }
        #expect { try table.double("x", in: -1e300...1e300) } throws: { ($0 as? ConfigError)?.keyPath == "x" }
        #expect { try table.doubleArray("list") } throws: { error in
            let error = error as? ConfigError
            return error?.keyPath == "list[1]" && error?.expected == "a finite number" && error?.line == 2
        }
    }

    @Test func numberOutsideItsRange() throws {
        let table = try root("tiny = 1e-300\nhuge = 1e308\nok = 5\n")
        #expect(throws: ConfigError(file: "b.toml", line: 1, column: 1, keyPath: "tiny",
                                    expected: "a number in 0.001...1000000", found: "1e-300")) {
            try table.double("tiny", in: 1e-3...1e6)
        }
        #expect { try table.double("huge", in: 1e-3...1e6) } throws: { ($0 as? ConfigError)?.found == "1e+308" }
        #expect(try table.double("ok", in: 1e-3...1e6) == 5)
        #expect(try table.optionalDouble("missing", in: 0...1) == nil)
    }

    @Test func arrayElementsAndCountsAreBounded() throws {
        let table = try root("counts = [1, 2, -1]\nscales = [0.5, 1e-300]\nshapes = [[1, 2, 3], [4, 0, 6]]\n")
        #expect { try table.intArray("counts", in: 0...10, maxCount: 8) } throws: { ($0 as? ConfigError)?.keyPath == "counts[2]" }
        #expect { try table.intArray("counts", in: -5...10, maxCount: 2) } throws: {
            ($0 as? ConfigError)?.expected == "at most 2 values"
        }
        #expect { try table.doubleArray("scales", in: 1e-3...1, maxCount: 8) } throws: { ($0 as? ConfigError)?.keyPath == "scales[1]" }
        #expect { try table.intArrays("shapes", in: 1...100, maxCount: 8) } throws: { ($0 as? ConfigError)?.keyPath == "shapes[1][1]" }
    }

    @Test func checkedProductReportsOverflowAndTheBound() throws {
        let table = try root("m = 1\n")
        #expect(try table.checkedProduct([("a", 3), ("b", 4)], key: "m", atMost: 12, reason: "test") == 12)
        #expect(throws: ConfigError(file: "b.toml", line: 1, column: 1, keyPath: "m",
                                    expected: "a × b at most 12 (test)", found: "3 × 5 = 15")) {
            try table.checkedProduct([("a", 3), ("b", 5)], key: "m", atMost: 12, reason: "test")
        }
        #expect { try table.checkedProduct([("a", Int.max), ("b", 2)], key: "m", atMost: 12, reason: "test") } throws: {
            ($0 as? ConfigError)?.found == "9223372036854775807 × 2 = more than 9223372036854775807"
        }
    }

    @Test func crlfFilesKeepLineAndColumn() throws {
        let text = "name = \"x\"\r\n\r\n[[tasks]]\r\nkind = \"gemm\"\r\n  m = -1\r\n"
        let tasks = try ConfigDocument(text: text, file: "crlf.toml").root.tableArray("tasks")
        #expect { try tasks[0].int("m", in: 1...10) } throws: { error in
            let error = error as? ConfigError
            return error?.line == 5 && error?.column == 3 && error?.keyPath == "tasks[0].m"
        }
        #expect { try tasks[0].int("kind") } throws: { ($0 as? ConfigError)?.line == 4 }
    }

    @Test func crlfSyntaxErrorsKeepTheirLine() {
        #expect {
            _ = try ConfigDocument(text: "a = 1\r\nb = \r\n", file: "x.toml")
        } throws: { ($0 as? ConfigError)?.line == 2 }
    }
}
