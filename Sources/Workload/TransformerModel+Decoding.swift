import Config
import Foundation

extension TransformerModel {
    /// Reads a model file (`Cluster/models/*.toml`).
    public init(contentsOfFile path: String) throws(ConfigError) {
        try self.init(document: ConfigDocument(contentsOfFile: path))
    }

    /// Decodes a model document.
    public init(document: ConfigDocument) throws(ConfigError) {
        let root = try document.root
        try root.rejectUnknownKeys(allowed: ["name", "layers", "hidden", "denseFfnWidth", "gatedFfn", "vocabulary",
                                             "tiedEmbeddings", "mtpModules", "attention", "moe"])
        guard let attentionTable = try root.table("attention") else {
            throw root.error("attention", expected: "an [attention] table", found: "nothing (the table is required)")
        }
        let attention = try AttentionSpec(table: attentionTable)
        let moe = try root.table("moe").map { table throws(ConfigError) in try MixtureOfExpertsSpec(table: table) }
        let layers = try root.positiveInt("layers")
        if let moe, moe.leadingDenseLayers > layers {
            throw root.error("moe", expected: "leadingDenseLayers ≤ layers (\(layers))", found: "\(moe.leadingDenseLayers)")
        }
        self.init(name: try root.string("name"), layers: layers, hidden: try root.positiveInt("hidden"),
                  attention: attention, denseFfnWidth: try root.positiveInt("denseFfnWidth"),
                  gatedFfn: try root.bool("gatedFfn", default: true), moe: moe,
                  vocabulary: try root.positiveInt("vocabulary"),
                  tiedEmbeddings: try root.bool("tiedEmbeddings", default: false),
                  mtpModules: try root.nonNegativeInt("mtpModules", default: 0))
    }

    /// Resolves `nameOrPath`: an existing file, or a model name looked up as `<directory>/<name>.toml`.
    /// Unknown names are an error listing the known models.
    public static func resolveFile(_ nameOrPath: String, directory: String) throws(ConfigError) -> String {
        if FileManager.default.fileExists(atPath: nameOrPath) { return nameOrPath }
        let candidate = (directory as NSString).appendingPathComponent(nameOrPath.hasSuffix(".toml") ? nameOrPath : nameOrPath + ".toml")
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        let known = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted()
        throw ConfigError(file: nameOrPath, keyPath: "", expected: "a model file or a model name in \(directory)",
                          found: "unknown model '\(nameOrPath)'", hint: "known models: \(known.joined(separator: ", "))")
    }
}
