import ArgumentParser
import Foundation
import Hardware
import Simulator
import Workload

/// `frugal chips --design`: the H800-vs-H20 question. Starting from a cluster's chip, try every
/// combination of NVLink, memory bandwidth and scale-out NIC, give each the most compute the
/// export rule allows (tensor peaks scaled down together in 1 % steps until the chip is not
/// controlled), simulate training the model on that cluster, and rank the variants by
/// throughput.
struct ChipDesignSearch {
    let rule: ExportRule
    let model: String
    let cluster: String
    let format: String

    struct Variant: Codable {
        var computeScale: Double
        var bf16DenseTflops: Double
        var tpp: Double
        var performanceDensity: Double?
        var nvlinkGbPerSecond: Double
        var memoryGbPerSecond: Double
        var scaleOutGbPerSecond: Double
        var fits: Bool
        var tokensPerSecondPerGpu: Double?
        var mfu: Double?
        var stepSeconds: Double?
        var gpuHoursPerTrillionTokens: Double?
    }

    func run() throws {
        let request = try Simulate.parse(["--cluster", cluster, "--model", model])
        let base: ClusterSpec, transformer: TransformerModel, setup: TrainingSetup
        do {
            base = try request.loadCluster(try request.resolveClusterPath())
            let parts = try SimulationRequest(command: request).inputs(cluster: base)
            transformer = parts.model
            setup = parts.setup
        } catch is TrainingSetupError where request.train == nil {
            // `chips` has no --train or --parallel: the model's own training file is the setup.
            FileHandle.standardError.write(Data("frugal: error: --design: the model '\(model)' has no training file in \(request.trainDirectory) (named after the model file), which gives the setup to simulate\n".utf8))
            throw ExitCode(ExitStatus.badInput)
        } catch {
            FileHandle.standardError.write(Data("frugal: error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.badInput)
        }
        var variants: [Variant] = []
        let chip = base.chip
        for nvlink in Set([chip.intraNodeBidirectionalGbPerSecond, 400]).sorted() {
            for memory in Set([chip.memoryGbPerSecond, 4000, 4800]).sorted() {
                for scaleOut in Set([base.scaleOutGbPerSecond, 100]).sorted() {
                    var cluster = base
                    var candidate = chip
                    candidate.intraNodeBidirectionalGbPerSecond = nvlink
                    candidate.memoryGbPerSecond = memory
                    cluster.intraNode.gbPerSecond = base.intraNode.gbPerSecond * nvlink / chip.intraNodeBidirectionalGbPerSecond
                    cluster.scaleOutGbPerSecond = scaleOut
                    // The most compute the rule allows.
                    var scale = 1.0
                    while scale > 0 {
                        candidate.bf16DenseTflops = chip.bf16DenseTflops * scale
                        candidate.fp8DenseTflops = chip.fp8DenseTflops.map { $0 * scale }
                        candidate.fp32Tflops = chip.fp32Tflops * scale
                        candidate.publishedTpp = nil
                        if rule.allows(candidate) { break }
                        scale -= 0.01
                    }
                    guard scale > 0 else { continue }
                    cluster.chip = candidate
                    var variant = Variant(computeScale: scale, bf16DenseTflops: candidate.bf16DenseTflops, tpp: candidate.tpp,
                                          performanceDensity: candidate.performanceDensity, nvlinkGbPerSecond: nvlink,
                                          memoryGbPerSecond: memory, scaleOutGbPerSecond: scaleOut, fits: false)
                    if let result = try? TrainingSimulator(model: transformer, setup: setup, cluster: cluster).run().result,
                       result.nonFiniteMessage() == nil {
                        variant.fits = result.fits
                        variant.tokensPerSecondPerGpu = result.tokensPerSecondPerGpu
                        variant.mfu = result.mfu
                        variant.stepSeconds = result.stepSeconds
                        variant.gpuHoursPerTrillionTokens = result.gpuHoursPerTrillionTokens
                    }
                    variants.append(variant)
                }
            }
        }
        variants.sort { ($0.tokensPerSecondPerGpu ?? -1) > ($1.tokensPerSecondPerGpu ?? -1) }
        if format == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(variants), as: UTF8.self))
            return
        }
        print("# chip variants of \(chip.name) (\(cluster)) not controlled under the \(rule.rawValue) rule, training \(model), best first")
        print("#rank  compute  BF16 TF     TPP     PD  NVLink GB/s  mem GB/s  scale-out GB/s  tokens/s/GPU    MFU   step s  GPU-h/T tokens")
        for (index, v) in variants.enumerated() {
            let pd = v.performanceDensity.map { String(format: "%6.2f", $0) } ?? "     ?"
            let throughput = v.tokensPerSecondPerGpu.map { String(format: "%12.0f", $0) } ?? (v.fits ? "           -" : "  does not fit")
            print(String(format: " %4d  %6.0f%%  %7.0f  %6.0f  %@  %11.0f  %8.0f  %14.0f  %@  %@  %@  %@", index + 1, 100 * v.computeScale,
                         v.bf16DenseTflops, v.tpp, pd, v.nvlinkGbPerSecond, v.memoryGbPerSecond, v.scaleOutGbPerSecond, throughput,
                         v.mfu.map { String(format: "%5.3f", $0) } ?? "    -", v.stepSeconds.map { String(format: "%7.2f", $0) } ?? "      -",
                         v.gpuHoursPerTrillionTokens.map { String(format: "%8.0f", $0) } ?? "       -"))
        }
    }
}
