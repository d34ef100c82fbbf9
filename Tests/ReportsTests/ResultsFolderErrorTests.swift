import Testing
@testable import Reports

/// The results-folder layer has one error; its messages and exit classes are the ones the README
/// exit table and the corpus rely on.
@Suite struct ResultsFolderErrorTests {
    @Test func messagesAndExitClasses() {
        let cases: [(ResultsFolderError, String, Bool)] = [
            (.notAFolder("r"), "--out r is a file, not a folder", true),
            (.cannotCreate("r", reason: "denied"), "--out r: cannot create the folder: denied", true),
            (.holdsResults("r", job: "demo"), "--out r: expected a folder without results (it holds job 'demo'); continue that run with --resume, or choose another --out", true),
            (.notWritable("r", reason: "full"), "r: expected a writable results folder (--out), found full", true),
            (.foreignFiles("r", names: ["a", "b", "c", "d"]), "--out r holds files that are not a report's (a, b, c, …); a report replaces its whole folder: choose an empty or report-only folder", true),
            (.cannotWriteReport("r", reason: "x"), "cannot write the report r: x", false),
            (.cannotRead("r/results.jsonl"), "cannot read r/results.jsonl", false),
        ]
        for (error, text, badInput) in cases {
            #expect(error.description == text)
            #expect(error.isBadInput == badInput, "\(error)")
        }
        #expect(ResultsFolderError.cannotWrite("f", errno: 28).description.hasPrefix("cannot write f: "))
    }
}

/// One median for the whole project: the mean of the middle two for an even count.
@Suite struct StatisticsTests {
    @Test func median() {
        #expect(Statistics.median([]) == nil)
        #expect(Statistics.median([3, 1, 2]) == 2)
        #expect(Statistics.median([4, 1, 3, 2]) == 2.5)
    }
}
