import Config
import Foundation
import Testing
import Workload

/// The training file's `software`: a named profile or a table of overrides, each key bounded.
struct SoftwareProfileTests {
    static func decode(_ text: String) throws -> TrainingSetup {
        let path = NSTemporaryDirectory() + "frugal-software-\(UUID().uuidString).toml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try TrainingSetup(contentsOfFile: path)
    }

    @Test func absentIsTodaysDeepSeekProfile() throws {
        let setup = try Self.decode("sequenceLength = 4096")
        #expect(setup.software == .deepseekV3)
        #expect(setup.software.gemm == .curve && setup.software.attention == .calibrated)
        #expect(setup.software.fusedElementwise && setup.software.kernelLaunchSeconds == 0)
    }

    @Test func aNameSelectsAProfile() throws {
        #expect(try Self.decode("software = \"megatron-2022\"").software == .named(.megatron2022))
        let core = try Self.decode("software = \"megatron-core-2024\"").software
        #expect(core.gemm == .tiles && core.attention == .flash2 && core.fusedElementwise && core.kernelLaunchSeconds == 2e-6)
        #expect(try Self.decode("software = \"pytorch-eager\"").software.fusedElementwise == false)
        // The two stacks with a fitted kernel fraction: megatron-core-2024's kernels with HAI-LLM's,
        // megatron-2021's with Megatron-DeepSpeed's; every other profile keeps 1.
        let hai = try Self.decode("software = \"hai-llm\"").software
        #expect(hai == SoftwareProfile(gemm: .tiles, attention: .flash2, fusedElementwise: true, kernelLaunchSeconds: 2e-6,
                                       kernelFraction: SoftwareProfile.haiLLMKernelFraction))
        let deepSpeed = try Self.decode("software = \"megatron-deepspeed\"").software
        #expect(deepSpeed == SoftwareProfile(gemm: .tiles, attention: .unfused, fusedElementwise: true, kernelLaunchSeconds: 2e-6,
                                             kernelFraction: SoftwareProfile.megatronDeepSpeedKernelFraction))
        #expect(SoftwareProfile.haiLLMKernelFraction == 0.75 && SoftwareProfile.megatronDeepSpeedKernelFraction == 0.73)
        for name in SoftwareProfile.Name.allCases where name != .haiLLM && name != .megatronDeepSpeed {
            #expect(SoftwareProfile.named(name).kernelFraction == 1, "\(name)")
        }
        #expect(try Self.decode("[software]\nprofile = \"hai-llm\"\nkernelFraction = 0.5").software.kernelFraction == 0.5)
    }

    /// The line `frugal simulate` prints: the profile's name while it equals a named one, every key.
    @Test func summaryNamesTheProfileAndEveryKey() throws {
        #expect(SoftwareProfile.deepseekV3.summary == "deepseek-v3 (gemm curve, attention calibrated, fused elementwise, launch 0 µs)")
        #expect(SoftwareProfile.named(.haiLLM).summary
                == "hai-llm (gemm tiles, attention flash2, fused elementwise, launch 2 µs, kernel fraction 0.75)")
        // An override that changes nothing keeps the name; one that changes a key makes it custom.
        // megatron-2021 and -2022 have the same keys, so both names are printed.
        let megatron = try Self.decode("[software]\nprofile = \"megatron-2022\"\nkernelLaunchUs = 2").software
        #expect(megatron.names == [.megatron2021, .megatron2022])
        #expect(megatron.summary.hasPrefix("megatron-2021 = megatron-2022 (gemm tiles, attention unfused,"))
        let custom = try Self.decode("[software]\nprofile = \"pytorch-eager\"\nkernelLaunchUs = 2.5\nattentionDropout = true").software
        #expect(custom.names.isEmpty)
        #expect(custom.summary == "custom (gemm tiles, attention unfused, unfused elementwise, launch 2.5 µs, attention dropout)")
    }

    @Test func aTableOverridesItsProfileKeyByKey() throws {
        let software = try Self.decode("""
            [software]
            profile = "megatron-2021"
            attention = "flash3"
            fusedElementwise = false
            kernelLaunchUs = 4
            attentionDropout = true
            """).software
        // megatron-2021 (tiles, unfused attention, fused, 2 µs) with three keys overridden.
        #expect(software == SoftwareProfile(gemm: .tiles, attention: .flash3, fusedElementwise: false, kernelLaunchSeconds: 4e-6,
                                            attentionDropout: true))
        #expect(SoftwareProfile.named(.megatron2021).attentionDropout == false)
        // Without a profile the overrides apply to deepseek-v3.
        #expect(try Self.decode("[software]\ngemm = \"tiles\"").software.gemm == .tiles)
        #expect(try Self.decode("[software]\ngemm = \"tiles\"").software.attention == .calibrated)
    }

    @Test func badValuesAreRejectedNamingTheKey() {
        for (text, key) in [("software = \"megatron-1999\"", "software"), ("software = 3", "software"),
                            ("[software]\nprofile = \"nope\"", "profile"), ("[software]\nattention = \"flash4\"", "attention"),
                            ("[software]\ngemm = \"roofline\"", "gemm"), ("[software]\nfusedElementwise = 1", "fusedElementwise"),
                            ("[software]\nkernelLaunchUs = -1", "kernelLaunchUs"), ("[software]\nkernelLaunchUs = nan", "kernelLaunchUs"),
                            ("[software]\nkernelLaunchUs = inf", "kernelLaunchUs"), ("[software]\nkernelLaunchUs = 2e6", "kernelLaunchUs"),
                            ("[software]\nkernelLaunchUs = 9223372036854775807", "kernelLaunchUs"), ("[software]\nfused = true", "fused"), ("[software]\nattentionDropout = 0.1", "attentionDropout"),
                            ("[software]\nkernelFraction = 0", "kernelFraction"), ("[software]\nkernelFraction = 1.5", "kernelFraction"),
                            ("[software]\nkernelFraction = nan", "kernelFraction"), ("[software]\nkernelFraction = -inf", "kernelFraction"),
                            ("[software]\nkernelFraction = 1e-300", "kernelFraction"),
                            ("[software]\nkernelFraction = 9223372036854775807", "kernelFraction"), ("[software]\nkernelFraction = \"high\"", "kernelFraction")] {
            do {
                _ = try Self.decode(text)
                Issue.record("accepted \(text)")
            } catch {
                #expect("\(error)".contains(key), "\(text): \(error)")
            }
        }
    }
}
