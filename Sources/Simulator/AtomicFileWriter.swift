import Program
import Foundation

/// Writes files so that readers never see half of one: write `path.partial`, then rename.
public enum AtomicFileWriter {
    public static func write(_ text: String, to path: String) throws(SimulationError) {
        let temporary = path + ".partial"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else {
                throw SimulationError("cannot rename \(temporary) to \(path) (errno \(errno))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw SimulationError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
