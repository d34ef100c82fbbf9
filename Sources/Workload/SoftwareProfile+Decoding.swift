import Config

extension SoftwareProfile {
    /// Decodes a training file's `software`: a profile name (`software = "megatron-2022"`), or a
    /// `[software]` table with an optional `profile` (default `deepseek-v3`) and overrides
    /// `gemm` (`curve` | `tiles`), `attention` (`calibrated` | `flash2` | `flash3` | `unfused`),
    /// `fusedElementwise` (bool), `kernelLaunchUs` (µs, 0…10⁶), `attentionDropout` (bool) and
    /// `kernelFraction` (0.01…1). Absent: ``deepseekV3``.
    public init(root: ConfigTable) throws(ConfigError) {
        guard root.contains("software") else {
            self = .deepseekV3
            return
        }
        guard let table = try? root.table("software") else {
            self = .named(try root.choice("software") as Name)
            return
        }
        try table.rejectUnknownKeys(allowed: ["profile", "gemm", "attention", "fusedElementwise", "kernelLaunchUs", "attentionDropout",
                                                 "kernelFraction"])
        self = table.contains("profile") ? .named(try table.choice("profile") as Name) : .deepseekV3
        gemm = try table.choice("gemm", default: gemm)
        attention = try table.choice("attention", default: attention)
        fusedElementwise = try table.bool("fusedElementwise", default: fusedElementwise)
        attentionDropout = try table.bool("attentionDropout", default: attentionDropout)
        kernelLaunchSeconds = try table.double("kernelLaunchUs", in: WorkloadBounds.kernelLaunchUs,
                                               default: kernelLaunchSeconds * 1e6) * 1e-6
        kernelFraction = try table.double("kernelFraction", in: WorkloadBounds.kernelFraction, default: kernelFraction)
    }
}
