import Testing
import Training

@Suite struct SyntheticCorpusTests {
    @Test("every sequence follows one affine rule; targets are the next inputs")
    func sequencesFollowARule() throws {
        let corpus = try SyntheticCorpus(vocabulary: 512, sequenceLength: 12, sequences: 6, rules: 4, seed: 7)
        let batch = corpus.batch(step: 3)
        #expect(batch.tokens == 72)
        for s in 0..<6 {
            let inputs = batch.inputs[(s * 12)..<((s + 1) * 12)].map(Int.init)
            let targets = batch.targets[(s * 12)..<((s + 1) * 12)].map(Int.init)
            #expect(Array(inputs.dropFirst()) == Array(targets.dropLast()))
            let rules = (0..<4).filter { r in zip(inputs, targets).allSatisfy { corpus.next(after: $0, rule: r) == $1 } }
            #expect(!rules.isEmpty)
        }
    }

    @Test("the same step gives the same batch; another step another")
    func deterministic() throws {
        let corpus = try SyntheticCorpus(vocabulary: 64, sequenceLength: 8, sequences: 4, seed: 1)
        #expect(corpus.batch(step: 5) == corpus.batch(step: 5))
        #expect(corpus.batch(step: 5) != corpus.batch(step: 6))
    }

    @Test("bad sizes and micro-batch splits are errors")
    func refusesBadSizes() throws {
        #expect(throws: TrainingError.self) { try SyntheticCorpus(vocabulary: 1, sequenceLength: 8, sequences: 4, seed: 1) }
        let batch = try SyntheticCorpus(vocabulary: 64, sequenceLength: 8, sequences: 4, seed: 1).batch(step: 0)
        #expect(throws: TrainingError.self) { try batch.microBatch(0, of: 3) }
        #expect(try batch.microBatch(1, of: 2).inputs == Array(batch.inputs[16..<32]))
    }
}
