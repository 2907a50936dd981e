/// Writes the cluster file of a synthetic fleet: N nodes × M checks, each node on its own
/// loopback address (127.x.y.z) with one HTTP port, all simulated. For load tests and benchmarks.
public struct FleetGenerator: Sendable {
    public var nodes: Int
    public var checksPerNode: Int
    public var interval: Duration
    public var timeout: Duration
    /// How many nodes (the first ones) accept connections and never answer.
    public var blackHoles = 0
    /// Whether each node's /metrics is scraped too.
    public var scrape = false

    public init(nodes: Int, checksPerNode: Int, interval: Duration = .seconds(10), timeout: Duration = .seconds(2)) {
        self.nodes = nodes
        self.checksPerNode = checksPerNode
        self.interval = interval
        self.timeout = timeout
    }

    /// The loopback address of node `index` (from 0): 127.10.0.1, 127.10.0.2, … distinct for
    /// up to 15 million nodes and clear of the demo's 127.0.1.x.
    public static func address(of index: Int) -> String {
        "127.\(10 + index / 62_500).\((index / 250) % 250).\(index % 250 + 1)"
    }

    public static func name(of index: Int) -> String { "n\(index + 1)" }

    /// The cluster file, as YAML text.
    public var yaml: String {
        var lines = [
            "# A synthetic fleet: \(nodes) nodes × \(checksPerNode) checks, every node simulated on its own loopback address.",
            "# Made by `vitals fleet`; serve it with `vitals simulate FILE` and watch it with `vitals FILE --no-sim`.",
            "cluster: fleet-\(nodes)x\(checksPerNode)",
            "defaults: { interval: \(interval.goString), timeout: \(timeout.goString) }",
            "nodes:",
        ]
        lines.reserveCapacity(nodes * (checksPerNode + 6) + 10)
        for index in 0..<nodes {
            let address = Self.address(of: index)
            lines.append("  - name: \(Self.name(of: index))")
            lines.append("    address: \(address)")
            if scrape { lines.append("    metrics: { url: \"http://\(address):8080/metrics\" }") }
            lines.append("    services:")
            lines.append("      - name: app\(index % 50)")
            lines.append("        port: 8080")
            lines.append("        checks:")
            for check in 0..<checksPerNode {
                // Two HTTP checks for every TCP one, as fleets are watched.
                switch check % 3 {
                case 2: lines.append("          - { name: c\(check), tcp: \"\(address):8080\" }")
                case 1: lines.append("          - { name: c\(check), http: \"http://\(address):8080/api/ping\" }")
                default: lines.append("          - { name: c\(check), http: \"http://\(address):8080/health\" }")
                }
            }
        }
        lines.append("simulation:")
        lines.append("  nodes: all")
        lines.append("  scenario: steady")
        if blackHoles > 0 {
            lines.append("  faults:")
            for index in 0..<min(blackHoles, nodes) { lines.append("    \(Self.name(of: index)): hang") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
