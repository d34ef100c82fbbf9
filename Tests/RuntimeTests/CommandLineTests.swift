import Foundation
import Testing
import TestSupport

/// Hostile flags and their exit statuses (docs/running-jobs.md, "Exit status"): each launches the built
/// `frugal` (no mpirun) and checks the status and that standard error names the flag. Nothing
/// may trap, hang, or print a raw Foundation error.
@Suite struct CommandLineTests {
    /// A case: the arguments, the status expected, and a text standard error must contain.
    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var status: Int32
        var mentions: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let step = ["simulate", "--cluster", "h800-2048", "--model", "deepseek-v3", "--parallel", "pp=16,ep=64,dp=128", "--schedule", "dualpipe"]
    static let big = "9223372036854775807"

    /// Runs `frugal arguments…` with a short timeout (a hang fails the test).
    static func run(_ arguments: [String], timeout: Double = 120) throws -> MPIRunner.Outcome {
        try MPIRunner.run(ranks: nil, arguments, timeout: timeout)
    }

    static func check(_ c: Case) throws {
        let outcome = try run(c.arguments)
        #expect(outcome.status == c.status, "\(c.testDescription): status \(outcome.status), stderr: \(outcome.standardError.suffix(600))")
        #expect(outcome.standardError.contains(c.mentions), "\(c.testDescription): stderr does not name \(c.mentions): \(outcome.standardError.suffix(600))")
        #expect(!outcome.standardError.contains("Fatal error") && !outcome.standardError.contains("NSCocoaErrorDomain")
                && !outcome.standardError.contains("Program crashed"))
    }

    static let simulateFlags: [Case] = [
        Case(arguments: step + ["--slow-ranks", "0-99999999999"], status: 2, mentions: "--slow-ranks"),
        Case(arguments: step + ["--slow-ranks", "x-y"], status: 2, mentions: "--slow-ranks"),
        Case(arguments: step + ["--slow-ranks", "-1"], status: 2, mentions: "--slow-ranks"),
        Case(arguments: step + ["--trace", NSTemporaryDirectory() + "frugal-trace.json", "--trace-ranks", "0-9223372036854775806"],
             status: 2, mentions: "--trace-ranks"),
        Case(arguments: ["simulate", "--cluster", "h800-2048", "--model", "deepseek-v3", "--parallel", "tp=\(big),pp=16,ep=64,dp=128"],
             status: 2, mentions: "--parallel"),
        Case(arguments: ["simulate", "--cluster", "h800-2048", "--model", "deepseek-v3", "--parallel", "pp=4611686018427387904,dp=4"],
             status: 2, mentions: "--parallel"),
        Case(arguments: step + ["--micro-batch", big], status: 2, mentions: "--micro-batch"),
        Case(arguments: step + ["--global-batch", big], status: 2, mentions: "--global-batch"),
        Case(arguments: step + ["--seq", "0"], status: 2, mentions: "--seq"),
        Case(arguments: step + ["--tokens", "nan"], status: 2, mentions: "--tokens"),
        Case(arguments: step + ["--slowdown", "inf"], status: 2, mentions: "--slowdown"),
        Case(arguments: step + ["--straggler-sigma", "1e308"], status: 2, mentions: "--straggler-sigma"),
        Case(arguments: step + ["--comm-sms", big], status: 2, mentions: "--comm-sms"),
        Case(arguments: step + ["--expert-load", "zipf(inf)"], status: 2, mentions: "--expert-load"),
        Case(arguments: step + ["--software", "megatron-1999"], status: 2, mentions: "--software"),
        Case(arguments: step + ["--schedule", "interleaved(\(big))"], status: 2, mentions: "--schedule"),
        Case(arguments: step + ["--out", NSTemporaryDirectory()], status: 2, mentions: "--out"),
        Case(arguments: ["simulate", "--cluster", "Cluster/clusters/h800-2048.toml", "--job", "Cluster/jobs/demo.toml", "--ranks", "100000000"],
             status: 2, mentions: "--ranks"),
    ]

    @Test(arguments: simulateFlags) func simulateFlagsAreBounded(_ c: Case) throws { try Self.check(c) }

    /// `--job` takes a cluster by name, as a training step does (it once wanted a file path).
    @Test func simulateJobTakesAClusterName() throws {
        let outcome = try Self.run(["simulate", "--cluster", "h800-2048", "--job", "Cluster/jobs/demo.toml", "--ranks", "2"])
        #expect(outcome.status == 0, "stderr: \(outcome.standardError.suffix(600))")
    }

    static let programFlags: [Case] = [
        Case(arguments: ["program", "--job", "Cluster/jobs/demo.toml", "--ranks-total", "0"], status: 2, mentions: "--ranks-total"),
        Case(arguments: ["program", "--job", "Cluster/jobs/demo.toml", "--ranks-total", big], status: 2, mentions: "--ranks-total"),
        Case(arguments: ["program", "--job", "Cluster/jobs/demo.toml", "--ranks-total", "4", "--ranks", "0-\(big)"], status: 2, mentions: "--ranks"),
        Case(arguments: ["program", "--job", "Cluster/jobs/demo.toml", "--cluster", "h800-2048"], status: 2, mentions: "--job"),
    ]

    @Test(arguments: programFlags) func programJobFlagsAreBounded(_ c: Case) throws { try Self.check(c) }

    /// `frugal program --job`: rank 1 of the demo's row-sharded GEMM at 2 ranks gathers B, runs
    /// its 256 rows and sends its C block to rank 0.
    @Test func programListsAJobTasksRanks() throws {
        let outcome = try Self.run(["program", "--job", "Cluster/jobs/demo.toml", "--ranks-total", "2", "--ranks", "1"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput.contains("## task rows-512, 2 rank(s)"))
        #expect(outcome.standardOutput.contains("allGather 1.05 MB over world"))
        #expect(outcome.standardOutput.contains("gemm 256×512×512 fp32"))
        #expect(outcome.standardOutput.contains("send 524.3 kB over world"))
    }

    static let otherFlags: [Case] = [
        Case(arguments: ["bench", "grouped", "--experts", "0", "--shapes", "64x8x8"], status: 2, mentions: "--experts"),
        Case(arguments: ["bench", "grouped", "--experts", "1000000", "--shapes", "64x8x8"], status: 2, mentions: "--experts"),
        Case(arguments: ["bench", "grouped", "--zipf", "nan", "--shapes", "64x8x8"], status: 2, mentions: "--zipf"),
        Case(arguments: ["bench", "gemm", "--sizes", "9999999999"], status: 2, mentions: "--sizes"),
        Case(arguments: ["bench", "gemm", "--sizes", "100000"], status: 2, mentions: "--sizes"),
        Case(arguments: ["bench", "swiglu", "--shapes", "2000000000x2000000000x1"], status: 2, mentions: "--shapes"),
        Case(arguments: ["bench", "gemm", "--repeat", "0"], status: 2, mentions: "--repeat"),
        Case(arguments: ["bench", "peak", "--threads", big], status: 2, mentions: "--threads"),
        Case(arguments: ["bench", "gate", "--shapes", "8x256x8", "--groups", "0"], status: 2, mentions: "--groups"),
        Case(arguments: ["bench", "alltoallv", "--sizes", "99999999999999"], status: 2, mentions: "--sizes"),
        Case(arguments: ["plan", "--cluster", "h800-2048", "--model", "deepseek-v3", "--micro-batches", big], status: 2, mentions: "--micro-batches"),
        Case(arguments: ["plan", "--cluster", "h800-2048", "--model", "deepseek-v3", "--node-limits", big], status: 2, mentions: "--node-limits"),
        Case(arguments: ["plan", "--cluster", "h800-2048", "--model", "deepseek-v3", "--top", "0"], status: 2, mentions: "--top"),
        Case(arguments: ["sweep", "Cluster/jobs/demo.toml", "--ranks", "1,100000000", "--out", NSTemporaryDirectory() + "frugal-sweep-x"],
             status: 2, mentions: "--ranks"),
        Case(arguments: ["sweep", "Cluster/jobs/demo.toml", "--repeat", big, "--out", NSTemporaryDirectory() + "frugal-sweep-x"],
             status: 2, mentions: "--repeat"),
        Case(arguments: ["sweep", "--simulate", "--cluster", "Cluster/clusters/h800-2048.toml", "--model", "Cluster/models/deepseek-v3.toml",
                         "--parallel", "tp=\(big),pp=\(big)", "--out", NSTemporaryDirectory() + "frugal-sweep-x"], status: 2, mentions: "--parallel"),
        Case(arguments: ["compare", "--b", "nvlink=900GB/s", "--cluster", "h800-2048", "--model", "deepseek-v3", "--bogus", "1"],
             status: 2, mentions: "frugal: error: compare: Unknown option '--bogus'"),
        Case(arguments: ["compare", "--b", "nvlink=900GB/s", "--cluster", "h800-2048", "--model", "deepseek-v3", "--parallel", "tp=0"],
             status: 2, mentions: "--parallel"),
        // Found in review: silently accepted or misleading before.
        Case(arguments: ["simulate", "--cluster", "h800-2048", "--model", "deepseek-v3", "--parallel", "pp=16,pp=16,ep=64,dp=128"],
             status: 2, mentions: "found pp twice"),
        Case(arguments: ["bench", "gemm", "--shapes", ","], status: 2, mentions: "--shapes: expected a comma-separated list"),
        Case(arguments: ["bench", "gemm", "--sizes", "64", "--shapes", "64x64x64"], status: 2, mentions: "give --sizes or --shapes, not both"),
        Case(arguments: ["chips", "--design", "--model", "mixtral-8x7b", "--cluster", "h800-2048"], status: 2, mentions: "has no training file"),
    ]

    static var aFile: String {
        let path = NSTemporaryDirectory() + "frugal-not-a-folder"
        FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
        return path
    }

    static let runFlags: [Case] = [
        Case(arguments: ["run", "Cluster/jobs/demo.toml", "--fail-rank", "5", "--fail-at-step", "0"], status: 2, mentions: "--fail-rank"),
        Case(arguments: ["run", "Cluster/jobs/demo.toml", "--fail-rank", "0", "--fail-at-step", "999"], status: 2, mentions: "--fail-at-step"),
        Case(arguments: ["run", "Cluster/jobs/demo.toml", "--out", aFile], status: 2, mentions: "--out"),
        Case(arguments: ["run", "Cluster/jobs/demo.toml", "--trace", NSTemporaryDirectory()], status: 2, mentions: "--trace"),
        Case(arguments: ["run", "Cluster/jobs/demo.toml", "--trace", aFile + "/trace.json"], status: 2, mentions: "--trace"),
        Case(arguments: ["simulate", "--cluster", "h800-2048", "--job", "Cluster/jobs/demo.toml", "--ranks", "2", "--trace", aFile + "/t.json"],
             status: 2, mentions: "--trace"),
        Case(arguments: ["check-mpi", "--fail-rank", "3"], status: 2, mentions: "--fail-rank"),
        Case(arguments: ["sweep", "Cluster/jobs/demo.toml", "--ranks", "1", "--out", aFile], status: 2, mentions: "--out"),
        Case(arguments: ["report", "Cluster", "--out", aFile], status: 2, mentions: "--out"),
    ]

    @Test(arguments: runFlags) func faultInjectionAndOutputFoldersAreChecked(_ c: Case) throws { try Self.check(c) }

    @Test(arguments: otherFlags) func benchPlanSweepAndCompareFlagsAreBounded(_ c: Case) throws { try Self.check(c) }

    /// Argument-parser's own errors exit 2 with its message and help hint; help and version exit 0.
    @Test func usageErrorsExit2AndHelpExits0() throws {
        for arguments in [["nosuch"], ["simulate"], ["run"], ["bench", "gemm", "--format", "xml"], ["run", "Cluster/jobs/demo.toml", "--fail-rank", "1"],
                          ["help", "nosuch"], ["help", "bench", "nosuch"]] {
            let outcome = try Self.run(arguments)
            #expect(outcome.status == 2, "\(arguments): \(outcome.status) \(outcome.standardError)")
            #expect(outcome.standardError.contains("Error:") && outcome.standardError.contains("--help"), "\(outcome.standardError)")
        }
        for arguments in [["--help"], ["--version"], ["simulate", "--help"], ["version"], ["help"], ["help", "bench", "gemm"]] {
            let outcome = try Self.run(arguments)
            #expect(outcome.status == 0, "\(arguments): \(outcome.status) \(outcome.standardError)")
        }
    }

    /// `simulate --job` on a cluster of 32,768 GPUs: a SUMMA grid's prediction at 2^18 ranks ran
    /// for hours; past 16,384 ranks it is refused (exit 2), the default (every GPU) too.
    @Test func jobPredictionsAreBoundedInRanks() throws {
        let folder = MPIRunner.temporaryDirectory()
        let text = try String(contentsOfFile: "Cluster/clusters/h800-2048.toml", encoding: .utf8)
            .replacingOccurrences(of: "nodes = 256", with: "nodes = 4096")
        try text.write(toFile: folder + "/big.toml", atomically: false, encoding: .utf8)
        for extra in [["--ranks", "32768"], []] {
            let outcome = try Self.run(["simulate", "--cluster", folder + "/big.toml", "--chips-dir", "Cluster/chips",
                                        "--job", "Cluster/jobs/demo.toml"] + extra, timeout: 60)
            #expect(outcome.status == 2 && outcome.standardError.contains("at most 16384"), "\(outcome.status) \(outcome.standardError)")
        }
    }

    /// Whole-file outputs are written anew and renamed into place, which put a regular file in the
    /// place of `/dev/full` when root gave it as `--out` or `--trace`. A path holding anything but
    /// a regular file (here a named pipe and a symbolic link) is refused before any work, and left
    /// as it was.
    @Test func outputsNeverReplaceWhatIsNotARegularFile() throws {
        let folder = MPIRunner.temporaryDirectory()
        let pipe = folder + "/pipe", link = folder + "/link", target = folder + "/target.json"
        #expect(mkfifo(pipe, 0o644) == 0)
        try "keep".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        for arguments in [Self.step + ["--out", pipe], Self.step + ["--trace", link], ["calibrate", "--out", pipe],
                          ["run", "Cluster/jobs/demo.toml", "--trace", pipe]] {
            let outcome = try Self.run(arguments)
            #expect(outcome.status == 2, "\(arguments): \(outcome.status) \(outcome.standardError)")
            #expect(outcome.standardError.contains("expected a regular file"), "\(outcome.standardError)")
        }
        var status = stat()
        #expect(stat(pipe, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
        #expect(lstat(link, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
    }

    /// A scale-out link of 1e-300 GB/s made the step infinite and `simulate --format json` print
    /// `{}` with exit 0. It is refused at the `--set` bound now (exit 2, naming the key), for
    /// `simulate` and `compare` alike; the non-finite guard behind it (exit 1 naming the term) is
    /// tested on the simulator in SimulatorBoundsTests.
    @Test func aVanishingLinkIsRefusedNotPrintedAsEmpty() throws {
        let simulate = try Self.run(Self.step + ["--set", "scaleout=1e-300GB/s", "--format", "json"])
        #expect(simulate.status == 2)
        #expect(simulate.standardError.contains("frugal: error: --set scaleout=1e-300GB/s: expected"))
        #expect(!simulate.standardOutput.contains("{}"))
        let compare = try Self.run(["compare", "--a", "scaleout=1e-300GB/s", "--b", "nvlink=900GB/s", "--format", "json"] + Self.step.dropFirst())
        #expect(compare.status == 2)
        #expect(compare.standardError.contains("scaleout=1e-300GB/s: expected"))
        #expect(!compare.standardError.contains("NSCocoaErrorDomain"))
        let finite = try Self.run(Self.step + ["--format", "json"])
        #expect(finite.status == 0 && finite.standardOutput.contains("\"stepSeconds\""))
    }

    /// A `--what-if` or `--simulate-option` that no point can use made every point fail (exit 1,
    /// "rerun to retry", which could never help; a vanishing link used to be marked done). It is
    /// bad input now: exit 2 before any point runs, naming the flag, and no point is marked done.
    @Test func aSweepWithBadVariantsIsRefusedBeforeAnyPoint() throws {
        let base = ["sweep", "--simulate", "--cluster", "Cluster/clusters/h800-2048.toml", "--model", "Cluster/models/deepseek-v3.toml",
                    "--parallel", "pp=16,ep=64,dp=128", "--schedule", "dualpipe"]
        for (extra, mentions) in [(["--what-if", "scaleout=1e-300GB/s"], "--what-if scaleout=1e-300GB/s"), (["--what-if", "nvlink=nanGB/s"], "--what-if"),
                                  (["--what-if", "bogus=1"], "--what-if bogus=1"), (["--simulate-option", "--bogus"], "--simulate-option")] {
            let out = MPIRunner.temporaryDirectory()
            let outcome = try Self.run(base + extra + ["--out", out], timeout: 120)
            #expect(outcome.status == 2 && outcome.standardError.contains(mentions), "\(extra): \(outcome.status) \(outcome.standardError)")
            let files = FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? []
            #expect(!files.contains { $0.hasSuffix("done.json") }, "\(files)")
        }
    }
}
