import Foundation

/// A toy target for the fuzzer's own tests (not in `--target all`): an input containing `TRAP`
/// traps, `HANG` loops forever, `NAN` is a non-finite success, anything else is accepted or
/// (when it contains `BAD`) rejected.
extension FuzzTarget {
    static let selfTest = FuzzTarget(
        name: "selftest", fileName: "selftest.txt", seedPaths: [], inlineSeeds: ["ok", "ok BAD", "ok TRAP", "ok"],
        dictionary: ["TRAP", "HANG", "NAN", "BAD"]
    ) { path, _ in
        let text = try flagValue(path)
        if text.contains("TRAP") {
            let empty: [Int] = []
            _ = empty[text.count]   // an out-of-bounds index: a Swift trap
        }
        if text.contains("HANG") {
            while FileManager.default.fileExists(atPath: path) { usleep(1000) }
        }
        if text.contains("NAN") { try requireFinite([.nan], what: "the toy result") }
        if text.contains("BAD") { throw InvariantViolationFree() }
    }
}

/// The toy target's ordinary rejection.
struct InvariantViolationFree: Error {}
