import Foundation
import VitalsCore

/// The watched cluster as Consul's catalog and health endpoints show it: every service instance
/// (the file's and the registered ones) with its node and checks, in Consul's JSON shapes.
///
/// Statuses are Consul's four: Vitals' `unknown` (no result yet) is `critical`, as a Consul
/// check is before its first run, and maintenance adds Consul's `_service_maintenance:ID` (or
/// `_node_maintenance`) critical check.
struct ConsulCatalog: Sendable {
    // Property names are Consul's JSON keys.
    struct Check: Encodable, Sendable, Hashable {
        var Node: String
        var CheckID: String
        var Name: String
        var Status: String
        var Notes: String
        var Output: String
        var ServiceID: String
        var ServiceName: String
        var ServiceTags: [String]
        var `Type`: String
        var CreateIndex: UInt64 = 1
        var ModifyIndex: UInt64 = 1
    }

    struct Instance: Sendable {
        var node: String
        var nodeAddress: String
        var id: String
        var service: String
        var tags: [String]
        var meta: [String: String]
        var port: Int
        var address: String
        var checks: [Check]
        var registeredBy: String?

        var isPassing: Bool { checks.allSatisfy { $0.Status == "passing" } }
    }

    struct NodeEntry: Sendable {
        var name: String
        var address: String
        var checks: [Check]
        var meta: [String: String]
    }

    let datacenter: String
    let instances: [Instance]
    let byService: [String: [Int]]
    let nodes: [NodeEntry]

    init(snapshot: ClusterSnapshot, config: ClusterConfig, registrations: [String: Registration]) {
        datacenter = Self.datacenter(snapshot.cluster)
        var ports: [String: Int] = [:]
        for node in config.nodes {
            for service in node.services { ports["\(node.name)/\(service.name)"] = service.port }
        }
        var nodes: [NodeEntry] = []
        var nodeChecks: [String: [Check]] = [:]
        // A node deregistered a moment ago is gone, though the engine still runs it.
        let gone = Set(snapshot.nodes.lazy.filter { $0.registered != nil && registrations[$0.name] == nil }.map(\.name))
        for node in snapshot.nodes where !gone.contains(node.name) {
            var checks = node.checks.map { check in
                Check(
                    Node: node.name, CheckID: "\(node.name)/\(check.name)", Name: check.name, Status: Self.status(check.status), Notes: "",
                    Output: check.output, ServiceID: "", ServiceName: "", ServiceTags: [], Type: check.type
                )
            }
            if let maintenance = node.maintenance, maintenance.service == nil {
                checks.append(Check(
                    Node: node.name, CheckID: "_node_maintenance", Name: "Node Maintenance Mode", Status: "critical", Notes: maintenance.reason,
                    Output: "", ServiceID: "", ServiceName: "", ServiceTags: [], Type: "maintenance"
                ))
            }
            nodeChecks[node.name] = checks
            var meta: [String: String] = [:]
            if let origin = node.registered { meta["vitals-registered-by"] = origin.by }
            nodes.append(NodeEntry(name: node.name, address: node.address, checks: checks, meta: meta))
        }
        let addresses = Dictionary(snapshot.nodes.map { ($0.name, $0.address) }, uniquingKeysWith: { a, _ in a })
        var instances: [Instance] = []
        var byService: [String: [Int]] = [:]
        instances.reserveCapacity(snapshot.services.count)
        for service in snapshot.services where !gone.contains(service.node) {
            let registration = registrations[service.node].flatMap { $0.name == service.name ? $0 : nil }
            let id = registration?.id ?? "\(service.node)/\(service.name)"
            let tags = registration?.tags ?? []
            var checks = nodeChecks[service.node] ?? []
            for check in service.checks {
                let registered = registration?.checks.first { $0.config.name == check.name }
                checks.append(Check(
                    Node: service.node, CheckID: registered?.id ?? "\(service.node)/\(service.name)/\(check.name)",
                    Name: registered?.consulName ?? check.name, Status: Self.status(check.status), Notes: registered?.notes ?? "",
                    Output: check.output, ServiceID: id, ServiceName: service.name, ServiceTags: tags, Type: check.type
                ))
            }
            if let maintenance = service.maintenance, maintenance.service != nil {
                checks.append(Check(
                    Node: service.node, CheckID: "_service_maintenance:\(id)", Name: "Service Maintenance Mode", Status: "critical",
                    Notes: maintenance.reason, Output: "", ServiceID: id, ServiceName: service.name, ServiceTags: tags, Type: "maintenance"
                ))
            }
            let nodeAddress = addresses[service.node] ?? ""
            byService[service.name, default: []].append(instances.count)
            instances.append(Instance(
                node: service.node, nodeAddress: nodeAddress, id: id, service: service.name, tags: tags, meta: registration?.meta ?? [:],
                port: registration?.port ?? ports["\(service.node)/\(service.name)"] ?? 0, address: registration?.address ?? nodeAddress,
                checks: checks, registeredBy: registration?.by
            ))
        }
        // Registered a moment ago, not yet run by the engine: listed at once, as Consul's agent
        // does, with checks critical until their first result.
        for registration in registrations.values.sorted(by: { $0.at < $1.at }) where addresses[registration.id] == nil {
            let checks = registration.checks.map { check in
                Check(
                    Node: registration.id, CheckID: check.id, Name: check.consulName, Status: check.config.initialStatus.map(Self.status) ?? "critical",
                    Notes: check.notes, Output: "not run yet", ServiceID: registration.id, ServiceName: registration.name,
                    ServiceTags: registration.tags, Type: check.config.target.typeName
                )
            }
            byService[registration.name, default: []].append(instances.count)
            instances.append(Instance(
                node: registration.id, nodeAddress: registration.address, id: registration.id, service: registration.name, tags: registration.tags,
                meta: registration.meta, port: registration.port ?? 0, address: registration.address, checks: checks, registeredBy: registration.by
            ))
            nodes.append(NodeEntry(name: registration.id, address: registration.address, checks: [], meta: ["vitals-registered-by": registration.by]))
        }
        self.instances = instances
        self.byService = byService
        self.nodes = nodes
    }

    /// Consul's name for a status.
    static func status(_ status: Status) -> String {
        switch status {
        case .passing: "passing"
        case .warning: "warning"
        case .critical, .unknown, .maintenance: "critical"
        }
    }

    /// A Consul datacenter name made of the cluster's (lower case letters, digits and dashes).
    static func datacenter(_ cluster: String) -> String {
        let name = String(cluster.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
        return name.isEmpty ? "dc1" : name
    }

    /// The instances of `service`, sorted by node.
    func instances(of service: String) -> [Instance] {
        (byService[service] ?? []).map { instances[$0] }
    }

    /// Every check once (node checks are repeated in each instance).
    var allChecks: [Check] {
        var seen = Set<String>()
        var result: [Check] = []
        for node in nodes { for check in node.checks where seen.insert(check.CheckID).inserted { result.append(check) } }
        for instance in instances { for check in instance.checks where seen.insert(check.CheckID).inserted { result.append(check) } }
        return result
    }

    /// What a blocking query on `key` watches, as a number that changes when it does:
    /// `services` (names and tags), `nodes`, `checks` (every status), `service:NAME`.
    func fingerprints() -> [String: Int] {
        var result: [String: Int] = [:]
        var services: [String: Set<String>] = [:]
        for (name, indexes) in byService {
            var hasher = Hasher()
            for index in indexes {
                let instance = instances[index]
                hasher.combine(instance.node)
                hasher.combine(instance.nodeAddress)
                hasher.combine(instance.id)
                hasher.combine(instance.address)
                hasher.combine(instance.port)
                hasher.combine(instance.tags)
                hasher.combine(instance.meta)
                for check in instance.checks {
                    hasher.combine(check.CheckID)
                    hasher.combine(check.Status)
                    hasher.combine(check.Notes)
                }
                services[name, default: []].formUnion(instance.tags)
            }
            result["service:\(name)"] = hasher.finalize()
        }
        var all = Hasher()
        for name in services.keys.sorted() {
            all.combine(name)
            all.combine(services[name]?.sorted() ?? [])
        }
        result["services"] = all.finalize()
        var nodes = Hasher()
        for node in self.nodes {
            nodes.combine(node.name)
            nodes.combine(node.address)
        }
        result["nodes"] = nodes.finalize()
        var checks = Hasher()
        for check in allChecks {
            checks.combine(check.CheckID)
            checks.combine(check.Status)
        }
        result["checks"] = checks.finalize()
        return result
    }
}
