import ArgumentParser

@main
struct Frugal: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "frugal", abstract: "Frugal",
                                                    subcommands: [Simulate.self])
}
