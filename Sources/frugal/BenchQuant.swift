import ArgumentParser

struct BenchQuant: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quant", abstract: "TODO")
    @OptionGroup var options: BenchOptions
    func run() throws {}
}
