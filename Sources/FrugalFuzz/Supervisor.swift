import Foundation

/// Runs a target's budget in worker processes (`--worker`), restarting after each crash or
/// hang: a trap kills the worker, whose input in progress is left in the findings folder and
/// saved here as a finding with the worker's last stderr lines (the trap message and stack).
struct Supervisor {
    let options: FuzzOptions
    let target: FuzzTarget
    let findings: Findings
    /// Stop a target after this many crash or hang findings (the rest would mostly repeat them).
    let maxFindings = 25

    /// Returns the process exit status: 0 no finding, 1 findings, 2 a worker that could not start.
    func run() -> Int32 {
        var start = options.start
        var crashes = 0, hangs = 0, violations = 0, duplicates = 0, slow = 0
        var signatures: [String: Int] = [:]
        let began = Date()
        while start < options.runs {
            let (status, signalled, stderr) = runWorker(arguments: options.workerArguments(target: target.name, start: start))
            if !signalled && status == 0 { start = options.endOfWorker(from: start); continue }
            if !signalled && status == 1 { violations += 1; start = options.runs; break }
            if !signalled && status == 2 {
                FileHandle.standardError.write(Data("frugal-fuzz: worker failed: \(stderr)\n".utf8))
                return 2
            }
            let index = findings.currentIndex() ?? start
            let hang = !signalled && status == Watchdog.exitCode
            if hang {
                // Re-checked alone with 10× the time: a busy machine is not a hang.
                let recheck = replay(timeout: options.timeoutSeconds * 10)
                if recheck.hung {
                    hangs += 1
                    findings.save(inputAt: findings.currentInput, note: """
                        target: \(target.name)
                        kind: hang (ran longer than \(options.timeoutSeconds) s, and longer than \(options.timeoutSeconds * 10) s alone)
                        input: \(index) of --seed \(options.seed)
                        reproduce: frugal-fuzz --target \(target.name) --replay <this input>
                        or: \(target.reproduceLine(path: findings.currentInput))

                        """)
                } else if recheck.crashed {
                    crashes += 1
                    findings.save(inputAt: findings.currentInput, note: crashNote(index: index, status: -1, signalled: true,
                                                                                  stderr: "(crashed when replayed alone after timing out)"))
                } else {
                    slow += 1
                }
            } else {
                let signature = Self.crashSignature(stderr)
                signatures[signature, default: 0] += 1
                if signatures[signature, default: 0] <= 3 {
                    crashes += 1
                    let path = findings.save(inputAt: findings.currentInput, note: crashNote(index: index, status: status,
                                                                                              signalled: signalled, stderr: stderr))
                    if options.minimize { Minimizer(options: options, target: target).minimize(path) }
                } else {
                    duplicates += 1
                }
            }
            start = index + 1
            if crashes + hangs >= maxFindings || hangs >= 10 { break }
        }
        let seconds = Date().timeIntervalSince(began)
        findings.removeScratch()
        let tried = min(options.runs, start) - options.start   // `start` is past the last input tried
        say("\(target.name): \(max(0, tried)) inputs in \(String(format: "%.1f", seconds)) s; findings: "
              + "\(crashes) crash, \(hangs) hang, \(violations > 0 ? "some" : "0") nonsense"
              + (duplicates > 0 ? " (\(duplicates) more crashes like those)" : "")
              + (slow > 0 ? "; \(slow) inputs over the time limit that finished alone (a busy machine)" : "")
              + (crashes + hangs >= maxFindings ? " — stopped at \(maxFindings)" : ""))
        return crashes + hangs + violations + duplicates > 0 ? 1 : 0
    }

    private func crashNote(index: Int, status: Int32, signalled: Bool, stderr: String) -> String {
        """
        target: \(target.name)
        kind: crash (\(signalled ? "signal \(status)" : "exit \(status)"))
        input: \(index) of --seed \(options.seed)
        reproduce: frugal-fuzz --target \(target.name) --replay <this input>
        or: \(target.reproduceLine(path: findings.currentInput))
        stderr (last lines):
        \(Self.trimmed(stderr))

        """
    }

    /// The trap message (its first "Fatal error" line, numbers blanked), else the first frame of
    /// the crashed thread outside the standard library, else the first line: crashes with one
    /// signature are one bug.
    static func crashSignature(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").map(String.init)
        if let fatal = lines.first(where: { $0.contains("Fatal error") || $0.contains("malloc") }) {
            return String(fatal.map { $0.isNumber ? "#" : $0 })
        }
        if let crashed = lines.firstIndex(where: { $0.contains("crashed:") }),
           let frame = lines[crashed...].first(where: { $0.contains(" at /") && !$0.contains("[system]") }),
           let address = frame.range(of: "0x") {
            let afterAddress = frame[address.upperBound...].drop { $0.isHexDigit }
            return String(afterAddress.prefix { $0 != "+" }).trimmingCharacters(in: .whitespaces)
        }
        return String((lines.first ?? "").map { $0.isNumber ? "#" : $0 })
    }

    /// The useful part of a worker's stderr: up to the register dump.
    static func trimmed(_ stderr: String) -> String {
        guard let registers = stderr.range(of: "\nRegisters:") else { return stderr }
        return String(stderr[..<registers.lowerBound])
    }

    /// Replays the input in progress in a fresh worker with `timeout`.
    func replay(timeout: Double) -> (hung: Bool, crashed: Bool) {
        let (status, signalled, _) = runWorker(arguments: ["--target", target.name, "--replay", findings.currentInput,
                                                           "--root", options.root, "--timeout", String(timeout),
                                                           "--memory-mb", String(options.memoryMegabytes)],
                                               environment: ["SWIFT_BACKTRACE": "enable=no"])
        return (!signalled && status == Watchdog.exitCode, signalled)
    }

    /// Runs this executable with `arguments`; returns its status, whether a signal ended it and
    /// the last 60 lines of its stderr.
    func runWorker(arguments: [String], environment extra: [String: String] = [:]) -> (Int32, Bool, String) {
        _ = FileManager.default.createFile(atPath: findings.workerStderrPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: options.executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = environment["SWIFT_BACKTRACE"] ?? "enable=yes,interactive=no,color=no,limit=40,top=10"
        process.environment = environment.merging(extra) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: findings.workerStderrPath)
        do { try process.run() } catch { return (2, false, "\(error)") }
        process.waitUntilExit()
        let text = String(decoding: FileManager.default.contents(atPath: findings.workerStderrPath) ?? Data(), as: UTF8.self)
        let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(120).joined(separator: "\n")
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, tail)
    }
}

/// Shrinks a crashing or hanging input: drops lines, then byte chunks, keeping each cut that
/// still makes a `--replay` worker crash or hang. Writes `<finding>.min<ext>` beside it.
struct Minimizer {
    let options: FuzzOptions
    let target: FuzzTarget
    /// Replays tried at most per input.
    let budget = 150

    func minimize(_ path: String) {
        guard var best = FileManager.default.contents(atPath: path).map(Array.init) else { return }
        let scratch = path + ".try" + target.fileExtension
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var tries = 0
        func fails(_ candidate: [UInt8]) -> Bool {
            tries += 1
            guard (try? Data(candidate).write(to: URL(fileURLWithPath: scratch))) != nil else { return false }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: options.executable)
            process.arguments = ["--target", target.name, "--replay", scratch, "--root", options.root,
                                 "--timeout", String(options.timeoutSeconds)]
            process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationReason == .uncaughtSignal || process.terminationStatus == Watchdog.exitCode
        }
        var chunk = max(1, best.count / 2)
        var lines = Mutator.lines(best)
        var index = 0
        while index < lines.count && tries < budget {   // whole lines first
            var candidate = lines
            candidate.remove(at: index)
            if fails(Mutator.join(candidate)) { lines = candidate } else { index += 1 }
        }
        best = Mutator.join(lines)
        while chunk >= 1 && tries < budget {   // then byte chunks
            var offset = 0, removed = false
            while offset < best.count && tries < budget {
                let candidate = Array(best[..<offset]) + Array(best[min(best.count, offset + chunk)...])
                if fails(candidate) { best = candidate; removed = true } else { offset += chunk }
            }
            if !removed { chunk /= 2 }
        }
        let stem = (path as NSString).deletingPathExtension
        try? Data(best).write(to: URL(fileURLWithPath: stem + ".min" + target.fileExtension))
    }
}
