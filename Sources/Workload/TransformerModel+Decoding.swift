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
        let bounds = WorkloadBounds.self
        let layers = try root.int("layers", in: bounds.layers)
        if let moe, moe.leadingDenseLayers > layers {
            throw root.error("moe", expected: "leadingDenseLayers ≤ layers (\(layers))", found: "\(moe.leadingDenseLayers)")
        }
        self.init(name: try root.string("name"), layers: layers, hidden: try root.int("hidden", in: bounds.hidden),
                  attention: attention, denseFfnWidth: try root.int("denseFfnWidth", in: bounds.ffnWidth),
                  gatedFfn: try root.bool("gatedFfn", default: true), moe: moe,
                  vocabulary: try root.int("vocabulary", in: bounds.vocabulary),
                  tiedEmbeddings: try root.bool("tiedEmbeddings", default: false),
                  mtpModules: try root.int("mtpModules", in: bounds.mtpModules, default: 0))
        try checkParameterCount(root)
    }

    /// The model's parameters at most 2⁵³, estimated in `Double` before any `Int` sum runs:
    /// with every key in range one layer's count fits an `Int` (at most ≈2⁶⁰), but layers ×
    /// a layer or vocabulary × hidden need not. Within the bound every `Int` sum of
    /// ``totalParameters`` and its parts is exact.
    func checkParameterCount(_ root: ConfigTable) throws(ConfigError) {
        let dense = Double(attention.parameters(hidden: hidden)) + Double(normParametersPerLayer) + Double(denseFfnParameters)
        var largestLayer = dense
        if let moe {
            let experts = Double(moe.routedExperts + moe.sharedExperts)
            let moeLayer = Double(attention.parameters(hidden: hidden)) + Double(normParametersPerLayer)
                + experts * Double(gatedFfn ? 3 : 2) * Double(hidden) * Double(moe.expertFfnWidth)
                + Double(hidden) * Double(moe.routedExperts)
            largestLayer = max(largestLayer, moeLayer)
        }
        let total = Double(layers + mtpModules) * (largestLayer + 2 * Double(hidden) * Double(hidden))
            + 2 * Double(vocabulary) * Double(hidden)
        guard total <= Double(WorkloadBounds.parameters) else {
            throw root.error("layers", expected: "a model of at most 2^53 parameters (layers × parameters per layer + embeddings)",
                             found: "about \(Bound.describe(total.rounded())) parameters")
        }
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
