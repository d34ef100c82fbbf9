import ArgumentParser

struct BenchSwiGLU: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "swiglu", abstract: "TODO")
    @OptionGroup var options: BenchOptions
    func run() throws {}
}
