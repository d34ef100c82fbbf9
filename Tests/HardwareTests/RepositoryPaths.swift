import Foundation

/// Paths of the package's data files, found from this source file.
enum RepositoryPaths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let chips = root + "/Cluster/chips"
    static let clusters = root + "/Cluster/clusters"
}
