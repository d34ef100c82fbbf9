import Foundation
import Testing
@testable import FrugalFuzz

/// Replays the checked-in corpus (`Tests/Corpus/<target>/<name>.<ext>` + `<name>.expect`) through
/// the built `frugal`: each input once crashed, hung or was accepted as nonsense; now it must end
/// with the expected exit code and a message naming the key. See Tests/Corpus/README.md.
@Suite(.serialized) struct CorpusReplayTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var target: String
        var input: String
        var exit: Int32
        var message: String
        var arguments: [String]?
        var testDescription: String { "\(target)/\((input as NSString).lastPathComponent)" }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let corpus = root + "/Tests/Corpus"

    /// Every case with an `.expect` beside it.
    static var cases: [Case] {
        let targets = ((try? FileManager.default.contentsOfDirectory(atPath: corpus)) ?? []).sorted()
        return targets.flatMap { target -> [Case] in
            let folder = corpus + "/" + target
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            return names.filter { $0.hasSuffix(".expect") }.compactMap { name -> Case? in
                let stem = String(name.dropLast(".expect".count))
                guard let input = names.first(where: { $0 != name && ($0 as NSString).deletingPathExtension == stem }),
                      let text = try? String(contentsOfFile: folder + "/" + name, encoding: .utf8) else { return nil }
                var fields: [String: String] = [:]
                for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return Case(target: target, input: folder + "/" + input, exit: Int32(fields["exit"] ?? "") ?? -1,
                            message: fields["message"] ?? "", arguments: fields["args"].map { $0.split(separator: " ").map(String.init) })
            }
        }
    }

    @Test func corpusIsNotEmptyAndEveryInputHasAnExpectation() throws {
        #expect(Self.cases.count >= 10)
        for target in FuzzTarget.all.map(\.name) {
            let folder = Self.corpus + "/" + target
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for name in names where !name.hasSuffix(".expect") {
                let stem = (name as NSString).deletingPathExtension
                #expect(names.contains(stem + ".expect"), "\(target)/\(name) has no .expect")
            }
        }
    }

    @Test(arguments: cases) func replay(_ testCase: Case) throws {
        let target = try #require(FuzzTarget.named(testCase.target), "unknown target folder \(testCase.target)")
        let scratch = NSTemporaryDirectory() + "frugal-corpus-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // The chip target's folder is a chip catalog: the file keeps a .toml name of its own.
        let copy = scratch + "/" + (target.name == "chip" ? (testCase.input as NSString).lastPathComponent : target.fileName)
        try FileManager.default.copyItem(atPath: testCase.input, toPath: copy)
        let arguments = target.frugalCommand(input: copy, inputFolder: scratch, text: try FuzzTarget.flagValue(copy),
                                             arguments: testCase.arguments)
        let outcome = try Self.runFrugal(arguments, timeout: 60)
        let output = outcome.output
        #expect(!outcome.timedOut, "hung: frugal \(arguments.joined(separator: " "))")
        #expect(outcome.status == testCase.exit && outcome.signalled == false,
                "exit \(outcome.signalled ? "by signal \(outcome.status)" : "\(outcome.status)"), expected \(testCase.exit): frugal \(arguments.joined(separator: " "))\n\(output.suffix(1500))")
        #expect(output.contains(testCase.message), "the output does not contain '\(testCase.message)':\n\(output.suffix(1500))")
        #expect(!output.contains("Fatal error") && !output.contains("Program crashed"), "\(output.suffix(1500))")
    }

    /// The built `frugal` beside this test bundle.
    static var executable: String {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: bundle).deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("frugal").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("frugal").path
    }

    struct Outcome { var status: Int32; var signalled: Bool; var timedOut: Bool; var output: String }

    /// Address space a replayed case may use (`ulimit -v`, KiB): 2 GiB, so that a case that once
    /// blew memory up fails here instead of passing slowly.
    static let addressSpaceKiB = 2 * 1024 * 1024

    /// Runs `frugal arguments…` in the repository root under ``addressSpaceKiB``, output to a file,
    /// killed after `timeout` seconds.
    static func runFrugal(_ arguments: [String], executable: String = executable, timeout: Double) throws -> Outcome {
        let log = NSTemporaryDirectory() + "frugal-corpus-" + UUID().uuidString + ".log"
        FileManager.default.createFile(atPath: log, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -v \(addressSpaceKiB) && exec \"$0\" \"$@\"", executable] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline { process.terminate(); timedOut = true; break }
            usleep(10_000)
        }
        process.waitUntilExit()
        let output = String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
        return Outcome(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                       timedOut: timedOut, output: output)
    }
}
