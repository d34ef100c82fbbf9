import Foundation

/// `frugal-fuzz`: a deterministic, seeded, mutational fuzzer of Frugal's decoders and flag
/// parsers (see docs/fuzzing-and-hardening.md, "Fuzzing").
///
///     frugal-fuzz --target job --runs 10000 --seed 1 --findings DIR   # one target
///     frugal-fuzz --target all --runs 10000 --findings DIR            # every target, one after another
///     frugal-fuzz --target job --replay FILE                          # one input, in this process
///     frugal-fuzz --list
///
/// Exit status: 0 no finding, 1 findings (in DIR), 2 usage error.
@main
enum FrugalFuzzMain {
    static func main() {
        let options: FuzzOptions
        do { options = try FuzzOptions(arguments: Array(CommandLine.arguments.dropFirst())) } catch {
            FileHandle.standardError.write(Data("frugal-fuzz: \(error)\n\(FuzzOptions.usage)\n".utf8))
            exit(2)
        }
        if options.list {
            say(FuzzTarget.all.map(\.name).joined(separator: "\n"))
            exit(0)
        }
        let targets = options.target == "all" ? FuzzTarget.all : [FuzzTarget.named(options.target)].compactMap { $0 }
        guard !targets.isEmpty else {
            FileHandle.standardError.write(Data("frugal-fuzz: unknown target '\(options.target)'; known: all, \(FuzzTarget.all.map(\.name).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        if let replay = options.replay { exit(runReplay(targets[0], path: replay, options: options)) }
        var status: Int32 = 0
        for target in targets {
            do {
                let findings = try Findings(folder: options.findings, target: target)
                let result = options.worker ? runWorker(target, findings: findings, options: options)
                                            : Supervisor(options: options, target: target, findings: findings).run()
                status = max(status, result)
            } catch {
                FileHandle.standardError.write(Data("frugal-fuzz: \(options.findings): \(error)\n".utf8))
                exit(2)
            }
        }
        exit(status)
    }

    static func loadContext(_ options: FuzzOptions) -> FuzzContext? {
        do { return try FuzzContext(root: options.root) } catch {
            FileHandle.standardError.write(Data("frugal-fuzz: cannot load the repository's shipped files under \(options.root): \(error)\n".utf8))
            return nil
        }
    }

    /// The worker: runs inputs in this process; 0 when done, 1 when it saved nonsense findings.
    static func runWorker(_ target: FuzzTarget, findings: Findings, options: FuzzOptions) -> Int32 {
        guard let context = loadContext(options) else { return 2 }
        limitMemory(megabytes: options.memoryMegabytes)
        let worker = FuzzWorker(target: target, root: options.root, seed: options.seed)
        // A hang ends the worker (status 3); the supervisor re-checks the input and saves it.
        let watchdog = Watchdog(limitSeconds: options.timeoutSeconds) { _ in }
        do {
            let tally = try worker.run(start: options.start, runs: options.runs, context: context, findings: findings, watchdog: watchdog)
            FileHandle.standardError.write(Data("\(target.name): inputs \(options.start)..<\(options.runs): accepted \(tally.accepted), rejected \(tally.rejected), nonsense \(tally.violations)\n".utf8))
            return tally.violations > 0 ? 1 : 0
        } catch {
            FileHandle.standardError.write(Data("frugal-fuzz: \(error)\n".utf8))
            return 2
        }
    }

    /// One input, in this process (a crash ends it; the watchdog ends a hang with status 3).
    static func runReplay(_ target: FuzzTarget, path: String, options: FuzzOptions) -> Int32 {
        guard let context = loadContext(options) else { return 2 }
        limitMemory(megabytes: options.memoryMegabytes)
        let watchdog = Watchdog(limitSeconds: options.timeoutSeconds) { _ in
            FileHandle.standardError.write(Data("hang: \(path) ran longer than \(options.timeoutSeconds) s\n".utf8))
        }
        watchdog.begin(0)
        let outcome = FuzzWorker.run(target, path: path, context: context)
        watchdog.end()
        switch outcome {
        case .accepted: say("accepted")
        case .rejected(let message): say("rejected: \(message)")
        case .violation(let message): say("nonsense: \(message)"); return 1
        }
        return 0
    }

    /// Caps the address space, so that an input asking for terabytes fails (a crash, found)
    /// instead of swapping the machine.
    static func limitMemory(megabytes: Int) {
        guard megabytes > 0 else { return }
        let bytes = rlim_t(megabytes) * 1024 * 1024
        var limit = rlimit(rlim_cur: bytes, rlim_max: bytes)
        #if os(Linux)
        setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
        #else
        setrlimit(RLIMIT_AS, &limit)
        #endif
    }
}

/// `frugal-fuzz`'s command line.
struct FuzzOptions: Sendable {
    var target = "all"
    var runs = 10_000
    var seed: UInt64 = 1
    var start = 0
    var findings = "fuzz-findings"
    var root = FileManager.default.currentDirectoryPath
    var timeoutSeconds = 1.0
    var memoryMegabytes = 4096
    var replay: String?
    var minimize = false
    var worker = false
    var list = false
    var executable = CommandLine.arguments[0]

    static let usage = """
        usage: frugal-fuzz --target NAME|all [--runs N] [--seed S] [--findings DIR] [--start I] [--timeout SECONDS]
                           [--memory-mb MB] [--root REPO] [--minimize]
               frugal-fuzz --target NAME --replay FILE
               frugal-fuzz --list
        """

    struct UsageError: Error, CustomStringConvertible { let description: String }

    init(arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            return next
        }
        func number<T: LosslessStringConvertible>(_ flag: String) throws -> T {
            let text = try value(flag)
            guard let parsed = T(text) else { throw UsageError(description: "\(flag): '\(text)' is not a number") }
            return parsed
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--target": target = try value(flag)
            case "--runs": runs = try number(flag)
            case "--seed": seed = try number(flag)
            case "--start": start = try number(flag)
            case "--findings": findings = try value(flag)
            case "--root": root = try value(flag)
            case "--timeout": timeoutSeconds = try number(flag)
            case "--memory-mb": memoryMegabytes = try number(flag)
            case "--replay": replay = try value(flag)
            case "--minimize": minimize = true
            case "--worker": worker = true
            case "--list": list = true
            default: throw UsageError(description: "unknown argument '\(flag)'")
            }
        }
        guard runs >= 0, start >= 0, timeoutSeconds > 0, timeoutSeconds.isFinite else {
            throw UsageError(description: "--runs, --start must be ≥ 0 and --timeout > 0")
        }
        if !executable.contains("/") { executable = ProcessInfo.processInfo.arguments[0] }
        if let path = Bundle.main.executablePath { executable = path }
        root = (root as NSString).standardizingPath
    }

    /// A worker's arguments: these options, one target, from `start`.
    /// Inputs one worker process runs before the supervisor starts a fresh one: a long run
    /// otherwise grows by what is kept of every parsed TOML document (a few KB each: the `job`
    /// target grows 4 KB per input, `set`, which parses nothing, not at all; the `cluster` target,
    /// which reads ten files per input, reached the 4 GB cap after 89,000 inputs).
    static let inputsPerWorker = 10_000

    /// The worker's arguments: inputs `start..<end` (``endOfWorker(from:)``).
    func workerArguments(target: String, start: Int) -> [String] {
        ["--worker", "--target", target, "--runs", String(endOfWorker(from: start)), "--seed", String(seed), "--start", String(start),
         "--findings", findings, "--root", root, "--timeout", String(timeoutSeconds), "--memory-mb", String(memoryMegabytes)]
    }

    /// Where a worker started at `start` stops.
    func endOfWorker(from start: Int) -> Int { min(runs, start + Self.inputsPerWorker) }
}

/// A line on standard output, written at once (progress of a long run shows as it happens).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
