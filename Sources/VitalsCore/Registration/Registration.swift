import Foundation

/// A service instance that registered itself through the agent API (`PUT /v1/agent/service/register`),
/// Consul-style: its identity, where it listens, and the checks the engine runs for it.
///
/// A registration becomes a node of its own in the watched cluster (named by its ID), running
/// one service (named by its `name`), beside the cluster file's nodes.
public struct Registration: Sendable, Equatable {
    /// Unique among registrations and the file's node names; Consul's `ID` (defaults to `Name`).
    public var id: String
    /// The service's name; instances of one service share it.
    public var name: String
    /// Where the instance is reached (the caller's address when the body gives none).
    public var address: String
    public var port: Int?
    public var tags: [String]
    public var meta: [String: String]
    public var checks: [RegisteredCheck]
    /// Who registered it: the address of the caller.
    public var by: String
    public var at: Date
    /// The request body as received, which the state file keeps and a restart decodes again.
    public var body: String

    public init(
        id: String, name: String, address: String, port: Int? = nil, tags: [String] = [], meta: [String: String] = [:],
        checks: [RegisteredCheck] = [], by: String, at: Date, body: String = ""
    ) {
        self.id = id
        self.name = name
        self.address = address
        self.port = port
        self.tags = tags
        self.meta = meta
        self.checks = checks
        self.by = by
        self.at = at
        self.body = body
    }

    /// Meta keys Vitals reads: the URL of the instance's Prometheus metrics, and of its recent
    /// log lines (as a node's `metrics.url` and `logs: [{http}]` in the cluster file).
    public static let metricsMeta = "vitals_metrics"
    public static let logsMeta = "vitals_logs"

    /// The check with Consul ID `id`, if this registration has it.
    public func check(consulID id: String) -> RegisteredCheck? { checks.first { $0.id == id } }
}

/// One check of a registration: its Consul ID and name (`service:web`, `Service 'web' check`)
/// and the check as the engine runs it (named for the dashboard).
public struct RegisteredCheck: Sendable, Equatable {
    public var id: String
    public var consulName: String
    public var notes: String
    public var config: CheckConfig

    public init(id: String, consulName: String, notes: String = "", config: CheckConfig) {
        self.id = id
        self.consulName = consulName
        self.notes = notes
        self.config = config
    }
}

/// How a node came to be watched, when it was not from the cluster file.
public struct NodeOrigin: Sendable, Equatable, Codable {
    /// The registration's ID (the node's name).
    public var id: String
    /// The caller's address.
    public var by: String
    public var at: Date
    public var tags: [String]

    public init(id: String, by: String, at: Date, tags: [String] = []) {
        self.id = id
        self.by = by
        self.at = at
        self.tags = tags
    }
}

extension ClusterConfig {
    /// This cluster with each registration added as a node of its own (the file's nodes first,
    /// then registrations in the order given). An instance of a service the file names takes that
    /// service's `depends_on`. A registration whose ID a node of the file has taken since is left out.
    public func adding(_ registrations: [Registration]) -> ClusterConfig {
        guard !registrations.isEmpty else { return self }
        var result = self
        var dependsOn: [String: [String]] = [:]
        for service in nodes.flatMap(\.services) where dependsOn[service.name] == nil { dependsOn[service.name] = service.dependsOn }
        result.nodes.reserveCapacity(nodes.count + registrations.count)
        let taken = Set(nodes.map(\.name))
        for registration in registrations where !taken.contains(registration.id) {
            let service = ServiceConfig(
                name: registration.name, port: registration.port, dependsOn: dependsOn[registration.name] ?? [], checks: registration.checks.map(\.config)
            )
            var node = NodeConfig(name: registration.id, address: registration.address, services: [service])
            // Vitals' own Meta keys: where the instance's Prometheus metrics and recent logs are read.
            if let url = registration.meta[Registration.metricsMeta], HTTPTarget(url) != nil { node.metricsURL = url }
            if let url = registration.meta[Registration.logsMeta], HTTPTarget(url) != nil { node.logURLs = [url] }
            node.origin = NodeOrigin(id: registration.id, by: registration.by, at: registration.at, tags: registration.tags)
            result.nodes.append(node)
        }
        return result
    }

    /// The cluster as the file gave it, without registered nodes.
    public var fileOnly: ClusterConfig {
        var result = self
        result.nodes.removeAll { $0.origin != nil }
        return result
    }
}
