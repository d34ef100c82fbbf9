import ArgumentParser

struct BenchGate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gate", abstract: "TODO")
    @OptionGroup var options: BenchOptions
    func run() throws {}
}
