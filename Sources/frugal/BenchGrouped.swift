import ArgumentParser

struct BenchGrouped: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grouped", abstract: "TODO")
    @OptionGroup var options: BenchOptions
    func run() throws {}
}
