import Foundation

/// Ends the process when one input runs past its time limit: a hang. A thread polls the start
/// time of the input in progress; on expiry it calls `onExpire` with the input's index (which
/// saves the finding) and exits with ``exitCode`` — the main thread may be stuck in any loop.
final class Watchdog: @unchecked Sendable {
    /// The exit status of a process the watchdog ended.
    static let exitCode: Int32 = 3

    private let lock = NSLock()
    private var startedAt: UInt64 = 0
    private var index = 0
    private let limitNanoseconds: UInt64
    private let onExpire: @Sendable (Int) -> Void

    init(limitSeconds: Double, onExpire: @escaping @Sendable (Int) -> Void) {
        limitNanoseconds = UInt64(max(0.001, limitSeconds) * 1e9)
        self.onExpire = onExpire
        let thread = Thread { [self] in watch() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Input `index` starts now.
    func begin(_ index: Int) {
        lock.lock()
        self.index = index
        startedAt = DispatchTime.now().uptimeNanoseconds
        lock.unlock()
    }

    /// The input in progress finished.
    func end() {
        lock.lock()
        startedAt = 0
        lock.unlock()
    }

    private func watch() {
        while true {
            usleep(20_000)
            lock.lock()
            let started = startedAt, current = index
            lock.unlock()
            if started != 0 && DispatchTime.now().uptimeNanoseconds &- started > limitNanoseconds {
                onExpire(current)
                _exit(Self.exitCode)
            }
        }
    }
}
