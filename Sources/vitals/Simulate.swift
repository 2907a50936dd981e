import ArgumentParser
import Foundation
import VitalsCore
import VitalsEngine
import VitalsSim

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve only the simulated nodes of a cluster file, in the foreground, until interrupted."
    )

    @OptionGroup var cluster: ClusterFileArgument

    @Option(help: "Play another scenario (\(SimulationConfig.knownScenarios.joined(separator: ", "))).")
    var scenario: String?

    func run() async throws {
        // A fleet listens on thousands of addresses: take the descriptors the system allows.
        ResourceLimits.raiseOpenFiles()
        var config = try cluster.load()
        if config.simulation == nil { config.simulation = SimulationConfig() }
        let options = try SimulationOptions.parse(scenario.map { ["--scenario", $0] } ?? [])
        guard let simulator = try await options.start(for: config) else { return }
        let count = simulator.endpoints.values.reduce(0) { $0 + $1.count }
        Output.line("simulating \(simulator.endpoints.count) nodes of '\(config.name)' on \(count) ports, scenario '\(simulator.scenario.name)'; Ctrl-C stops")
        for (node, endpoints) in simulator.endpoints.sorted(by: { $0.key < $1.key }).prefix(50) {
            Output.line("  \(node): " + endpoints.map { "\($0.host):\($0.port)" }.joined(separator: " "))
        }
        if simulator.endpoints.count > 50 { Output.line("  … and \(simulator.endpoints.count - 50) more nodes") }
        Output.line("ready")
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
