import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a whole buffer to a file descriptor: `write(2)` again after a short write or `EINTR`,
/// until every byte is written or the system says why not. The one write loop of ``ResultsLog``,
/// ``AtomicFile`` and the report folder.
public enum WholeWrite {
    /// The `write(2)` call, replaceable in tests (an injected disk-full).
    public typealias WriteFunction = (Int32, UnsafeRawPointer, Int) -> Int

    /// Writes `data` to `descriptor`; returns nil when every byte is written, else the errno
    /// (`ENOSPC` for a write that wrote nothing).
    public static func write(_ data: Data, to descriptor: Int32,
                             using write: WriteFunction = { Glibc.write($0, $1, $2) }) -> Int32? {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Int32? in
            guard let base = bytes.baseAddress else { return nil }
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, base + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return written < 0 ? errno : ENOSPC }
                offset += written
            }
            return nil
        }
    }
}
