import ArgumentParser
struct Dashboard: ParsableCommand {
    @Argument var file: String?
    func run() throws { print("todo") }
}
