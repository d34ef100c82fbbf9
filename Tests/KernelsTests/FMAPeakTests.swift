import Testing
import Kernels

@Suite struct FMAPeakTests {
    @Test("the FMA loop runs, stays finite and counts 12 × 8 × 2 flops per step")
    func runs() {
        let value = FMAPeak.run(iterations: 1000)
        #expect(value.isFinite)
        #expect(FMAPeak.flops(iterations: 10) == 1920)
    }
}
