import Foundation
import Testing
@testable import FrugalFuzz

/// The driver catches what kills or stalls a worker: a toy target that traps, hangs or returns
/// nonsense on some inputs.
@Suite(.serialized) struct SupervisorTests {
    static var fuzzer: String {
        (CorpusReplayTests.executable as NSString).deletingLastPathComponent + "/frugal-fuzz"
    }

    func fuzz(_ arguments: [String]) throws -> (CorpusReplayTests.Outcome, String) {
        let findings = NSTemporaryDirectory() + "frugal-fuzz-test-" + UUID().uuidString
        let outcome = try CorpusReplayTests.runFrugal(["--findings", findings, "--root", CorpusReplayTests.root] + arguments,
                                                      executable: Self.fuzzer, timeout: 120)
        return (outcome, findings)
    }

    @Test func aTrappingInputIsSavedAsACrashAndTheRunGoesOn() throws {
        // Seeds 0–3 are "ok", "ok BAD", "ok TRAP", "ok": input 2 traps, the worker restarts at 3.
        let (outcome, findings) = try fuzz(["--target", "selftest", "--runs", "4", "--seed", "1"])
        defer { try? FileManager.default.removeItem(atPath: findings) }
        #expect(outcome.status == 1 && !outcome.signalled, "\(outcome.output)")
        #expect(outcome.output.contains("selftest: 4 inputs"), "\(outcome.output)")
        #expect(outcome.output.contains("1 crash"), "\(outcome.output)")
        let input = try String(contentsOfFile: findings + "/selftest-1.txt", encoding: .utf8)
        #expect(input == "ok TRAP")
        let note = try String(contentsOfFile: findings + "/selftest-1.note", encoding: .utf8)
        #expect(note.contains("kind: crash") && note.contains("input: 2 of --seed 1"), "\(note)")
    }

    @Test func aHangingInputIsSavedAsAHang() throws {
        let findings = NSTemporaryDirectory() + "frugal-fuzz-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: findings) }
        try FileManager.default.createDirectory(atPath: findings, withIntermediateDirectories: true)
        let input = findings + "/hang.txt"
        try "HANG".write(toFile: input, atomically: true, encoding: .utf8)
        let outcome = try CorpusReplayTests.runFrugal(["--target", "selftest", "--replay", input, "--timeout", "0.3",
                                                       "--root", CorpusReplayTests.root], executable: Self.fuzzer, timeout: 60)
        #expect(outcome.status == Watchdog.exitCode && !outcome.signalled && !outcome.timedOut, "\(outcome.output)")
    }

    @Test func aCleanRunExitsZeroAndNonsenseIsAFinding() throws {
        let (clean, cleanFindings) = try fuzz(["--target", "micro-batches", "--runs", "200"])
        defer { try? FileManager.default.removeItem(atPath: cleanFindings) }
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("micro-batches: 200 inputs"), "\(clean.output)")

        let findings = NSTemporaryDirectory() + "frugal-fuzz-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: findings) }
        try FileManager.default.createDirectory(atPath: findings, withIntermediateDirectories: true)
        try "NAN".write(toFile: findings + "/nan.txt", atomically: true, encoding: .utf8)
        let nonsense = try CorpusReplayTests.runFrugal(["--target", "selftest", "--replay", findings + "/nan.txt",
                                                        "--root", CorpusReplayTests.root], executable: Self.fuzzer, timeout: 60)
        #expect(nonsense.status == 1 && nonsense.output.contains("nonsense"), "\(nonsense.output)")
    }

    @Test func crashSignaturesIgnoreAddresses() {
        let a = "*** Program crashed: Illegal instruction at 0x000055c311d8bfda ***\nThread 0 \"frugal-fuzz\" crashed:\n  0 [inlined] [system]      0x000055c311d8bfda specialized Array.subscript.getter in frugal-fuzz at //<compiler-generated>\n  1                         0x000055c311d8bfda closure #1 in Foo + 730 in frugal-fuzz at /x/A.swift:14:22"
        let b = a.replacingOccurrences(of: "55c311d8bfda", with: "7f0000001234")
        #expect(Supervisor.crashSignature(a) == Supervisor.crashSignature(b))
        #expect(Supervisor.crashSignature(a).hasPrefix("closure #1 in Foo"))
    }
}
