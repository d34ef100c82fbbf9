import Config
import Testing
@testable import Workload

/// A `moe` task's keys took the model and cluster files' spelling (`routedExperts`,
/// `expertFfnWidth`, `gpusPerNode`, `scoreFunction`); the old spellings still decode, with one
/// warning per old key naming file:line, old and new key.
@Suite struct MoEDeprecatedKeysTests {
    static let common = "[[tasks]]\nkind = \"moe\"\ntokens = 64\nhidden = 16\ntopK = 2\ngroups = 2\ntopkGroups = 1\n"
    static let new = common + "expertFfnWidth = 8\nroutedExperts = 8\ngpusPerNode = 2\nscoreFunction = \"softmax\"\n"
    static let old = common + "expertHidden = 8\nexperts = 8\nranksPerNode = 2\nscoring = \"softmax\"\n"

    static func decode(_ text: String) throws(ConfigError) -> (Job, ConfigWarnings) {
        var warnings = ConfigWarnings()
        let job = try Job(document: try ConfigDocument(text: text, file: "moe.toml"),
                          limits: JobLimits(ranks: 4, availableMemoryBytes: 1 << 30), warnings: &warnings)
        return (job, warnings)
    }

    @Test func oldSpellingDecodesIdenticallyAndWarns() throws {
        let (oldJob, warnings) = try Self.decode(Self.old)
        let (newJob, _) = try Self.decode(Self.new)
        #expect(oldJob == newJob)
        #expect(warnings.all.map(\.oldKey) == ["experts", "expertHidden", "ranksPerNode", "scoring"])
        let experts = try #require(warnings.all.first)
        #expect(experts.newKey == "routedExperts" && experts.line == 9 && experts.keyPath == "tasks[0].experts")
        #expect(experts.description == "moe.toml:9:1: tasks[0].experts: 'experts' is deprecated, use 'routedExperts' (the old key still works for now)")
    }

    @Test func newSpellingDoesNotWarn() throws {
        #expect(try Self.decode(Self.new).1.isEmpty)
    }

    @Test func oneWarningPerOldKeyOfAFile() throws {
        let second = Self.old.replacingOccurrences(of: "[[tasks]]\nkind", with: "[[tasks]]\nname = \"b\"\nkind")
        let (job, warnings) = try Self.decode(Self.old + second)
        #expect(job.tasks.count == 2)
        #expect(warnings.all.count == 4)
    }

    @Test func bothSpellingsInOneTableAreAnError() {
        #expect(throws: ConfigError.self) { try Self.decode(Self.new + "experts = 8\n") }
        do {
            _ = try Self.decode(Self.new + "experts = 8\n")
        } catch {
            #expect(error.keyPath == "tasks[0].experts" && error.found == "both")
            #expect(error.expected.contains("'routedExperts'"))
        }
    }

    @Test func errorsNameTheKeyAsWritten() {
        do {
            _ = try Self.decode(Self.old.replacingOccurrences(of: "experts = 8", with: "experts = 6"))
            Issue.record("6 experts on 4 ranks decoded")
        } catch {
            #expect(error.keyPath == "tasks[0].experts")
        }
    }
}
