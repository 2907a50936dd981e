import Foundation
import VitalsCore

/// What the engine knows, as plain arrays numbered by `ClusterLayout`: the input of a snapshot.
public struct EngineFacts: Sendable {
    public var checks: [CheckState]
    public var metrics: [NodeMetrics]
    public var logs: [[String]]
    public var history: [NodeHistory]
    /// Each node's circuit breaker, when the file gives it one.
    public var breakers: [CircuitBreaker?]
    /// Maintenance by node number, and by service number.
    public var nodeMaintenance: [Int: Maintenance] = [:]
    public var serviceMaintenance: [Int: Maintenance] = [:]

    public init(layout: ClusterLayout, nodeCount: Int, breakers: [CircuitBreaker?]? = nil) {
        self.breakers = breakers ?? Array(repeating: nil, count: nodeCount)
        checks = layout.checkConfigs.map {
            CheckState(
                successBeforePassing: $0.successBeforePassing, failuresBeforeCritical: $0.failuresBeforeCritical,
                failuresBeforeWarning: $0.failuresBeforeWarning, initial: $0.initialStatus
            )
        }
        metrics = Array(repeating: NodeMetrics(), count: nodeCount)
        logs = Array(repeating: [], count: nodeCount)
        history = Array(repeating: NodeHistory(), count: nodeCount)
    }
}

/// Folds the engine's facts into `ClusterSnapshot`s: a service is the worst of its checks, a
/// node the worst of its own checks and its services.
///
/// After the first snapshot it rebuilds only what changed: the checks and nodes named dirty, the
/// services and nodes above them. Everything else in the new snapshot is the previous one's
/// storage, shared (copy-on-write), not rebuilt.
public struct SnapshotBuilder: Sendable {
    public let config: ClusterConfig
    public let layout: ClusterLayout
    public private(set) var current: ClusterSnapshot

    /// Starts from a full build of `facts`.
    public init(config: ClusterConfig, layout: ClusterLayout, facts: EngineFacts, generation: UInt64, time: Date) {
        self.config = config
        self.layout = layout
        current = Self.full(config: config, layout: layout, facts: facts, generation: generation, time: time)
    }

    /// A snapshot built from nothing but `facts`: the reference the incremental path must equal.
    public static func full(config: ClusterConfig, layout: ClusterLayout, facts: EngineFacts, generation: UInt64, time: Date) -> ClusterSnapshot {
        var nodes: [NodeSnapshot] = []
        var services: [ServiceSnapshot] = []
        nodes.reserveCapacity(config.nodes.count)
        services.reserveCapacity(layout.nodeOfService.count)
        for (nodeIndex, node) in config.nodes.enumerated() {
            let nodeChecks = layout.checksOfNode[nodeIndex].map { checkSnapshot($0, layout: layout, facts: facts) }
            var statuses = nodeChecks.map(\.status)
            for (offset, serviceIndex) in layout.servicesOfNode[nodeIndex].enumerated() {
                let service = node.services[offset]
                let checks = layout.checksOfService[serviceIndex].map { checkSnapshot($0, layout: layout, facts: facts) }
                var serviceSnapshot = ServiceSnapshot(name: service.name, node: node.name, status: .unknown, dependsOn: service.dependsOn, checks: checks)
                serviceSnapshot.maintenance = facts.serviceMaintenance[serviceIndex] ?? facts.nodeMaintenance[nodeIndex]
                serviceSnapshot.status = Self.status(of: serviceSnapshot)
                statuses.append(serviceSnapshot.status)
                services.append(serviceSnapshot)
            }
            let maintenance = facts.nodeMaintenance[nodeIndex]
            var snapshot = NodeSnapshot(
                name: node.name, address: node.address, status: maintenance != nil ? .maintenance : Self.nodeStatus(statuses), services: node.services.map(\.name),
                metrics: facts.metrics[nodeIndex], checks: nodeChecks, recentLogs: facts.logs[nodeIndex]
            )
            snapshot.history = facts.history[nodeIndex]
            snapshot.registered = node.origin
            snapshot.maintenance = maintenance
            snapshot.breakerOpenedAt = facts.breakers[nodeIndex]?.openedAt
            snapshot.breakerNextTry = facts.breakers[nodeIndex]?.nextTry
            nodes.append(snapshot)
        }
        return ClusterSnapshot(cluster: config.name, generation: generation, time: time, nodes: nodes, services: services)
    }

    /// The next snapshot: `dirtyChecks` and `dirtyNodes` (metrics or logs) are taken anew from
    /// `facts`, and the statuses above them recomputed; nothing else is touched.
    public mutating func apply(
        dirtyChecks: some Sequence<Int>, dirtyNodes: some Sequence<Int>, facts: EngineFacts, generation: UInt64, time: Date
    ) -> ClusterSnapshot {
        var touchedServices = Set<Int>()
        var touchedNodes = Set(dirtyNodes)
        for check in dirtyChecks {
            let snapshot = Self.checkSnapshot(check, layout: layout, facts: facts)
            switch layout.places[check] {
            case .node(let node, let position):
                current.nodes[node].checks[position] = snapshot
                touchedNodes.insert(node)
            case .service(let service, let position):
                current.services[service].checks[position] = snapshot
                touchedServices.insert(service)
                touchedNodes.insert(layout.nodeOfService[service])
            }
        }
        // A node in maintenance touches its services; its status masks theirs.
        for node in touchedNodes { touchedServices.formUnion(layout.servicesOfNode[node]) }
        for service in touchedServices {
            current.services[service].maintenance = facts.serviceMaintenance[service] ?? facts.nodeMaintenance[layout.nodeOfService[service]]
            current.services[service].status = Self.status(of: current.services[service])
            touchedNodes.insert(layout.nodeOfService[service])
        }
        for node in touchedNodes {
            let statuses = current.nodes[node].checks.map(\.status) + layout.servicesOfNode[node].map { current.services[$0].status }
            current.nodes[node].maintenance = facts.nodeMaintenance[node]
            current.nodes[node].status = facts.nodeMaintenance[node] != nil ? .maintenance : Self.nodeStatus(statuses)
            if current.nodes[node].metrics != facts.metrics[node] { current.nodes[node].metrics = facts.metrics[node] }
            if current.nodes[node].recentLogs != facts.logs[node] { current.nodes[node].recentLogs = facts.logs[node] }
            if current.nodes[node].history != facts.history[node] { current.nodes[node].history = facts.history[node] }
            current.nodes[node].breakerOpenedAt = facts.breakers[node]?.openedAt
            current.nodes[node].breakerNextTry = facts.breakers[node]?.nextTry
        }
        current.generation = generation
        current.time = time
        return current
    }

    static func checkSnapshot(_ check: Int, layout: ClusterLayout, facts: EngineFacts) -> CheckSnapshot {
        facts.checks[check].snapshot(name: layout.checkIDs[check].check, config: layout.checkConfigs[check])
    }

    /// A service's status: maintenance while in it, else the worst of its checks.
    static func status(of service: ServiceSnapshot) -> Status {
        service.maintenance != nil ? .maintenance : Status.worst(service.checks.map(\.status))
    }

    /// A node's status from its checks' and services' statuses: a service in maintenance counts
    /// as nothing (it masks what is beneath it); all in maintenance is maintenance.
    static func nodeStatus(_ statuses: [Status]) -> Status {
        let counted = statuses.filter { $0 != .maintenance }
        if counted.isEmpty, !statuses.isEmpty { return .maintenance }
        return Status.worst(counted)
    }
}
