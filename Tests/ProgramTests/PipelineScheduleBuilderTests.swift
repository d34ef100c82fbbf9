import Program
import Testing
import Workload

/// The cached live-chunk peaks against walking the schedule with per-chunk sizes.
@Suite struct PipelineScheduleBuilderTests {
    /// The peak activation bytes of walking `stage`'s actions, as the memory estimate once did.
    static func walkedPeak(_ builder: PipelineScheduleBuilder, stage: Int, bytes: [Double]) -> Double {
        var live = 0.0, peak = 0.0
        for action in builder.actions(stage: stage) {
            switch action {
            case .forward(let chunk, _): live += bytes[chunk]
            case .backward(let chunk, _, _): live -= bytes[chunk]
            case .weight: break
            case .overlapped(let forward, _, let backward, _):
                live += bytes[forward]
                peak = max(peak, live)
                live -= bytes[backward]
            }
            peak = max(peak, live)
        }
        return peak
    }

    @Test(arguments: [(PipelineScheduleKind.oneFOneB, 1), (.zb1p, 1), (.interleaved, 2), (.interleaved, 3), (.dualpipe, 1)])
    func peaksOfTheLiveChunksAreTheWalkedPeaks(kind: PipelineScheduleKind, virtualStages: Int) {
        let model = TransformerModel(name: "m", layers: 24, hidden: 64,
                                     attention: AttentionSpec(kind: .mha, heads: 4, kvHeads: 4, headDim: 16),
                                     denseFfnWidth: 128, vocabulary: 16)
        for pp in [2, 4] {
            for microBatches in [2 * pp, 2 * pp + 1, 2 * pp + 2, 4 * pp] where kind != .dualpipe || microBatches % 2 == 0 {
                var setup = TrainingSetup()
                setup.pp = pp; setup.schedule = kind; setup.virtualStages = virtualStages
                setup.globalBatchSequences = microBatches
                let layout = PipelineLayout(model: model, setup: setup)
                let builder = PipelineScheduleBuilder(kind: kind, layout: layout)
                for stage in 0..<pp {
                    for sizes in [[1.0, 1.0, 1.0], [3.0, 0.5, 2.0], [0.25, 7.0, 1.0]] {
                        let bytes = Array(sizes.prefix(layout.chunksPerRank))
                        let peak = builder.liveChunkPeaks(stage: stage).map { counts in
                            zip(counts, bytes).reduce(0.0) { $0 + Double($1.0) * $1.1 }
                        }.max() ?? 0
                        #expect(abs(peak - Self.walkedPeak(builder, stage: stage, bytes: bytes)) < 1e-9,
                                "\(kind) v\(virtualStages) pp\(pp) n\(microBatches) stage \(stage) \(bytes)")
                    }
                }
            }
        }
    }
}
