import Foundation

/// Facts about this executable recorded with every result.
public enum BuildInfo {
    /// Frugal's version.
    public static let version = "0.1.0"

    /// `debug` or `release`.
    public static var configuration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    /// The git revision of the source tree holding the executable (found by walking up from it
    /// to a `.git` folder and reading `HEAD`), or "unknown" outside a checkout.
    public static var gitRevision: String {
        var directory = URL(fileURLWithPath: executablePath).deletingLastPathComponent()
        while directory.path != "/" {
            let git = directory.appendingPathComponent(".git")
            if let revision = readRevision(gitDirectory: git) { return revision }
            directory = directory.deletingLastPathComponent()
        }
        return "unknown"
    }

    private static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    private static func readRevision(gitDirectory: URL) -> String? {
        var gitDirectory = gitDirectory
        // A worktree's `.git` is a file: "gitdir: /path".
        if let pointer = try? String(contentsOf: gitDirectory, encoding: .utf8), pointer.hasPrefix("gitdir:") {
            gitDirectory = URL(fileURLWithPath: pointer.dropFirst(7).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard let head = try? String(contentsOf: gitDirectory.appendingPathComponent("HEAD"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        guard head.hasPrefix("ref: ") else { return head }
        let reference = String(head.dropFirst(5))
        // Worktrees keep branch refs in the common directory.
        var common = gitDirectory
        if let commonPath = try? String(contentsOf: gitDirectory.appendingPathComponent("commondir"), encoding: .utf8) {
            common = URL(fileURLWithPath: commonPath.trimmingCharacters(in: .whitespacesAndNewlines), relativeTo: gitDirectory)
        }
        for directory in [gitDirectory, common] {
            if let value = try? String(contentsOf: directory.appendingPathComponent(reference), encoding: .utf8) {
                return value.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let packed = try? String(contentsOf: directory.appendingPathComponent("packed-refs"), encoding: .utf8) {
                for line in packed.split(separator: "\n") where line.hasSuffix(" " + reference) {
                    return String(line.prefix(while: { $0 != " " }))
                }
            }
        }
        return nil
    }
}
