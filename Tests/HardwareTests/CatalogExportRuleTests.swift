import Testing
@testable import Hardware

/// Every catalog chip's TPP and rule outcomes, as HARDWARE.md states them.
@Suite struct CatalogExportRuleTests {
    static let expected: [String: (tpp: Double, october2022: ExportControl.Outcome, october2023: ExportControl.Outcome)] = [
        "H100": (15_832, .controlled, .controlled),
        "H800": (15_832, .notControlled, .controlled),
        "H800-PCIe": (12_104, .notControlled, .controlled),
        "H20": (2_368, .notControlled, .notControlled),
        "A100": (4_992, .controlled, .controlled),
        "A800": (4_992, .notControlled, .controlled),
        "H200": (15_832, .controlled, .controlled),
        "B200": (36_000, .controlled, .controlled),
        "RTX4090": (5_285, .notControlled, .controlled),
    ]

    @Test func tppAndOutcomesMatchHardwareMD() throws {
        let catalog = try ChipCatalog(directory: RepositoryPaths.chips)
        #expect(Set(catalog.chips.map(\.name)) == Set(Self.expected.keys))
        for chip in catalog.chips {
            let expected = try #require(Self.expected[chip.name])
            #expect(chip.tpp == expected.tpp, "\(chip.name) TPP")
            #expect(ExportControl.october2022(tpp: chip.tpp, bidirectionalIoGbPerSecond: chip.intraNodeBidirectionalGbPerSecond)
                    == expected.october2022, "\(chip.name) Oct 2022")
            #expect(ExportControl.october2023(tpp: chip.tpp, performanceDensity: chip.performanceDensity)
                    == expected.october2023, "\(chip.name) Oct 2023")
        }
        // HARDWARE.md: the H20's PD ≈ 2.9.
        #expect(abs(try #require(catalog.chip(named: "H20")?.performanceDensity) - 2.9) < 0.05)
    }

    @Test func rulesAdmitTheExportVariantsAndNotTheOriginals() throws {
        let catalog = try ChipCatalog(directory: RepositoryPaths.chips)
        #expect(ExportRule.oct2022.allows(catalog.chip(named: "H800")!))
        #expect(!ExportRule.oct2022.allows(catalog.chip(named: "H100")!))
        #expect(!ExportRule.oct2023.allows(catalog.chip(named: "H800")!))
        #expect(ExportRule.oct2023.allows(catalog.chip(named: "H20")!))
    }
}
