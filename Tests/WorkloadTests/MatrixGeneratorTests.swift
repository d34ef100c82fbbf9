import Testing
@testable import Workload

@Suite struct MatrixGeneratorTests {
    @Test func blocksAgreeWithTheWholeMatrix() {
        let generator = MatrixGenerator(seed: 5)
        let whole = generator.block(stream: .a, columns: 13, rows: 0..<11, cols: 0..<13)
        let block = generator.block(stream: .a, columns: 13, rows: 3..<7, cols: 5..<12)
        for (r, row) in (3..<7).enumerated() {
            for (c, column) in (5..<12).enumerated() {
                #expect(block[r * 7 + c] == whole[row * 13 + column])
            }
        }
    }

    @Test func valuesAreInRangeAndDependOnSeedAndStream() {
        let a = MatrixGenerator(seed: 1).block(stream: .a, columns: 100, rows: 0..<100, cols: 0..<100)
        #expect(a.allSatisfy { $0 >= -1 && $0 < 1 })
        #expect(a != MatrixGenerator(seed: 2).block(stream: .a, columns: 100, rows: 0..<100, cols: 0..<100))
        #expect(a != MatrixGenerator(seed: 1).block(stream: .b, columns: 100, rows: 0..<100, cols: 0..<100))
        let mean = a.reduce(0, +) / Float(a.count)
        #expect(abs(mean) < 0.05)
    }
}
