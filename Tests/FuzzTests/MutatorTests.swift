import Testing
@testable import FrugalFuzz

/// The mutator and the input sequence are pure functions of the seed.
@Suite struct MutatorTests {
    let toml = Array("""
        name = "x"
        layers = 61
        [attention]
        heads = 128
        """.utf8)

    @Test func sameSeedSameMutations() {
        let mutator = Mutator(dictionary: ["layers", "hidden"])
        for index in 0..<200 {
            var a = FuzzRandom(seed: 7, index: index), b = FuzzRandom(seed: 7, index: index)
            #expect(mutator.mutate(toml, splice: [toml], random: &a) == mutator.mutate(toml, splice: [toml], random: &b))
        }
    }

    @Test func seedsAndIndicesChangeTheInput() {
        let mutator = Mutator(dictionary: [])
        var distinct: Set<[UInt8]> = []
        for index in 0..<200 {
            var random = FuzzRandom(seed: 1, index: index)
            distinct.insert(mutator.mutate(toml, splice: [], random: &random))
        }
        #expect(distinct.count > 150)
        var one = FuzzRandom(seed: 1, index: 5), two = FuzzRandom(seed: 2, index: 5)
        #expect(one.next() != two.next())
    }

    @Test func numbersAreFoundAndReplacedByHostileValues() {
        let ranges = Mutator.numberRanges(Array("a = -12.5e3\nb = [1, 2]\nc = nan\nh800 = 3".utf8))
        let texts = ranges.map { String(decoding: Array("a = -12.5e3\nb = [1, 2]\nc = nan\nh800 = 3".utf8)[$0], as: UTF8.self) }
        #expect(texts == ["-12.5e3", "1", "2", "nan", "3"])
        var random = FuzzRandom(seed: 3)
        var seen: Set<String> = []
        for _ in 0..<500 {
            let out = String(decoding: Mutator(dictionary: []).replaceNumber(Array("n = 5".utf8), random: &random), as: UTF8.self)
            seen.insert(out)
        }
        #expect(seen.contains("n = 9223372036854775807"))
        #expect(seen.contains("n = nan"))
        #expect(seen.contains("n = 1e-300"))
    }

    @Test func workerInputsAreReproducibleAcrossRestarts() {
        let target = FuzzTarget.selfTest
        let first = FuzzWorker(target: target, root: "/nonexistent", seed: 9)
        let second = FuzzWorker(target: target, root: "/nonexistent", seed: 9)
        #expect(first.input(0) == Array("ok".utf8))   // the seeds come first, unchanged
        #expect((100..<300).map(first.input) == (100..<300).map(second.input))
        #expect((100..<300).map(first.input) != (100..<300).map(FuzzWorker(target: target, root: "/nonexistent", seed: 10).input))
    }
}
