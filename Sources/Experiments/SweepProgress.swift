import Foundation

/// Progress of a sweep on standard error — points done, skipped, failed, and an ETA from the
/// mean time of the points run so far — only when standard error is a terminal.
public final class SweepProgress {
    private let total: Int
    private let enabled: Bool
    private var finished = 0
    private var skipped = 0
    private var failed = 0
    private var runSeconds: [Double] = []

    public init(total: Int, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.total = total
        self.enabled = enabled
    }

    public func skip() { skipped += 1; finished += 1 }

    public func starting(_ id: String) { show("running \(id)") }

    public func finished(seconds: Double, ok: Bool) {
        finished += 1
        if !ok { failed += 1 }
        runSeconds.append(seconds)
        show(nil)
    }

    public func end() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// `3/8 points done (1 skipped, 0 failed), ETA 1m20s`.
    public var line: String {
        var text = "sweep: \(finished)/\(total) points done (\(skipped) skipped, \(failed) failed)"
        if !runSeconds.isEmpty, finished < total {
            let eta = runSeconds.reduce(0, +) / Double(runSeconds.count) * Double(total - finished)
            text += ", ETA " + Self.duration(eta)
        }
        return text
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 60 ? "\(whole / 60)m\(String(format: "%02d", whole % 60))s" : "\(whole)s"
    }

    private func show(_ activity: String?) {
        guard enabled else { return }
        let text = "\r\u{1B}[K" + line + (activity.map { " — \($0)" } ?? "")
        FileHandle.standardError.write(Data(text.utf8))
    }
}
