import VitalsCore

/// Decides which node a log line belongs to: the node it names (a JSON `node`), else the node
/// whose name is its host, else the node at the address that sent it, else the one node that
/// runs a service of the line's service (or syslog tag) name. A line no node claims is kept under
/// its host or sender address and marked unclaimed.
struct LogRouter: Sendable {
    private let byName: [String: String]
    private let byAddress: [String: String]
    /// Services that run on exactly one node.
    private let byService: [String: String]

    init(_ config: ClusterConfig) {
        var byName: [String: String] = [:], byAddress: [String: String] = [:], services: [String: [String]] = [:]
        for node in config.nodes {
            byName[node.name] = node.name
            byAddress[node.address] = byAddress[node.address] ?? node.name
            for service in node.services { services[service.name, default: []].append(node.name) }
        }
        self.byName = byName
        self.byAddress = byAddress
        byService = services.compactMapValues { $0.count == 1 ? $0[0] : nil }
    }

    /// The line to store for `entry`, sent from `source` (an address, or nil), or read from a
    /// source that belongs to `fixedNode`.
    func route(_ entry: LogEntry, source: String?, fixedNode: String? = nil) -> LogStore.Line {
        if let fixedNode { return LogStore.Line(entry, node: fixedNode) }
        if let named = entry.node, let node = byName[named] { return LogStore.Line(entry, node: node) }
        if let host = entry.host, let node = byName[host] { return LogStore.Line(entry, node: node) }
        if let source, let node = byAddress[source] { return LogStore.Line(entry, node: node) }
        if let service = entry.service, let node = byService[service] { return LogStore.Line(entry, node: node) }
        let label = entry.node ?? entry.host ?? source ?? "?"
        return LogStore.Line(entry, node: String(label.prefix(64)), unclaimed: true)
    }
}
