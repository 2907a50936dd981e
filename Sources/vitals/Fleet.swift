import ArgumentParser
import Foundation
import VitalsCore
import VitalsSim

struct Fleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the cluster file of a synthetic fleet (N nodes × M checks on distinct 127.x.y.z addresses).",
        discussion: """
            For load tests: `vitals fleet --nodes 5000 --checks 10 > fleet.yaml`, then `vitals simulate fleet.yaml` \
            in one terminal and `vitals fleet.yaml --no-sim` in another.
            """
    )

    @Option(help: "Nodes in the fleet (1 to 1,000,000).")
    var nodes = 5_000

    @Option(help: "Checks per node (1 to 100).")
    var checks = 10

    @Option(help: "Check interval, e.g. 10s.")
    var interval = "10s"

    @Option(help: "Check timeout, e.g. 2s.")
    var timeout = "2s"

    @Option(help: "How many nodes accept connections and never answer.")
    var blackHoles = 0

    @Flag(help: "Scrape every node's /metrics too.")
    var scrape = false

    func validate() throws {
        guard (1...1_000_000).contains(nodes) else { throw ValidationError("--nodes must be from 1 to 1000000") }
        guard (1...100).contains(checks) else { throw ValidationError("--checks must be from 1 to 100") }
        guard (0...nodes).contains(blackHoles) else { throw ValidationError("--black-holes must be from 0 to --nodes") }
        for (name, text) in [("interval", interval), ("timeout", timeout)] where (Duration(goString: text) ?? .zero) <= .zero {
            throw ValidationError("--\(name) must be a duration like 10s or 500ms")
        }
    }

    func run() throws {
        var fleet = FleetGenerator(
            nodes: nodes, checksPerNode: checks,
            interval: Duration(goString: interval) ?? .seconds(10), timeout: Duration(goString: timeout) ?? .seconds(2)
        )
        fleet.blackHoles = blackHoles
        fleet.scrape = scrape
        FileHandle.standardOutput.write(Data(fleet.yaml.utf8))
    }
}
