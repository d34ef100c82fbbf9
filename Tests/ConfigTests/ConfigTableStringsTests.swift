import Config
import Testing

/// `ConfigTable.stringArray`: strings in order, absent is nil, wrong types and too many name the key.
@Suite struct ConfigTableStringsTests {
    func root(_ text: String) throws(ConfigError) -> ConfigTable { try ConfigDocument(text: text, file: "s.toml").root }

    @Test func readsStringsInOrder() throws {
        #expect(try root(#"a = ["x", "y z"]"#).stringArray("a", maxCount: 4) == ["x", "y z"])
        #expect(try root(#"a = []"#).stringArray("a", maxCount: 4) == [])
        #expect(try root("b = 1").stringArray("a", maxCount: 4) == nil)
    }

    @Test func rejectsWrongTypesAndTooMany() throws {
        #expect(throws: ConfigError.self) { try root(#"a = "x""#).stringArray("a", maxCount: 4) }
        #expect(throws: ConfigError.self) { try root(#"a = ["x", 1]"#).stringArray("a", maxCount: 4) }
        do {
            _ = try root(#"a = ["x", "y", "z"]"#).stringArray("a", maxCount: 2)
            Issue.record("three strings passed a limit of two")
        } catch {
            #expect(error.keyPath == "a" && error.expected == "at most 2 strings" && error.found == "3", "\(error)")
        }
    }
}
