import Foundation

/// What changed from one snapshot to the next, for `GET /v1/events`: the nodes and service
/// instances that differ (by position, when both snapshots list the same ones in the same order)
/// and the sections that changed, so an attached dashboard receives a few kilobytes a generation
/// instead of the whole cluster.
///
/// A delta applies only to the generation it was made from (`base`); when the lists themselves
/// changed (a reload added a node), there is no delta and the whole snapshot is sent instead.
public struct SnapshotDelta: Sendable, Equatable, Codable {
    /// The generation this delta applies to.
    public var base: UInt64
    public var generation: UInt64
    public var time: Date
    public var nodes: [NodeChange]
    public var services: [ServiceChange]
    /// Each section is nil when unchanged.
    public var locks: [LockSnapshot]?
    public var alerts: [AlertSnapshot]?
    public var silences: [SilenceSnapshot]?
    public var alertHistory: [AlertSnapshot]?
    /// Always sent: small, and nil is a value of its own here.
    public var stateProblem: String?
    public var logStats: LogStats?
    /// The capacity advice, whole (it is small, and changes with every evaluation).
    public var capacity: [CapacityAdvice]?

    enum CodingKeys: String, CodingKey {
        case base, generation, time, nodes, services, locks, alerts, silences
        case alertHistory = "alert_history"
        case stateProblem = "state_problem"
        case logStats = "logs"
        case capacity
    }

    /// The delta from `old` to `new`, or nil when `new` lists other nodes or service instances
    /// (or lists them in another order) and must be sent whole.
    public init?(from old: ClusterSnapshot, to new: ClusterSnapshot) {
        guard old.cluster == new.cluster, old.nodes.count == new.nodes.count, old.services.count == new.services.count else { return nil }
        var nodes: [NodeChange] = []
        for index in new.nodes.indices where old.nodes[index] != new.nodes[index] {
            guard old.nodes[index].name == new.nodes[index].name else { return nil }
            nodes.append(NodeChange(index: index, from: old.nodes[index], to: new.nodes[index]))
        }
        var services: [ServiceChange] = []
        for index in new.services.indices where old.services[index] != new.services[index] {
            guard old.services[index].name == new.services[index].name, old.services[index].node == new.services[index].node else { return nil }
            services.append(ServiceChange(index: index, from: old.services[index], to: new.services[index]))
        }
        base = old.generation
        generation = new.generation
        time = new.time
        self.nodes = nodes
        self.services = services
        locks = old.locks == new.locks ? nil : new.locks
        alerts = old.alerts == new.alerts ? nil : new.alerts
        silences = old.silences == new.silences ? nil : new.silences
        alertHistory = old.alertHistory == new.alertHistory ? nil : new.alertHistory
        stateProblem = new.stateProblem
        logStats = new.logStats
        capacity = new.capacity
    }

    /// `snapshot` with this delta applied, or nil when it is not the generation the delta was
    /// made from (a reader that missed one must start again from a whole snapshot).
    public func applied(to snapshot: ClusterSnapshot) -> ClusterSnapshot? {
        guard snapshot.generation == base else { return nil }
        var result = snapshot
        for change in nodes {
            guard result.nodes.indices.contains(change.index), let node = change.applied(to: result.nodes[change.index]) else { return nil }
            result.nodes[change.index] = node
        }
        for change in services {
            guard result.services.indices.contains(change.index), let service = change.applied(to: result.services[change.index]) else { return nil }
            result.services[change.index] = service
        }
        result.generation = generation
        result.time = time
        if let locks { result.locks = locks }
        if let alerts { result.alerts = alerts }
        if let silences { result.silences = silences }
        if let alertHistory { result.alertHistory = alertHistory }
        result.stateProblem = stateProblem
        result.logStats = logStats
        result.capacity = capacity
        return result
    }
}

/// How a list that grows at its end (and drops from its start) changed: keep the last `keep`
/// items of the old one and add `add`. Recent latencies, a node's metric history and its newest
/// log lines change this way, so a delta carries the new items, not the 60 old ones again.
public struct Tail<Element: Sendable & Equatable & Codable>: Sendable, Equatable, Codable {
    public var keep: Int
    public var add: [Element]

    /// The shortest tail that turns `old` into `new` (at worst: keep nothing, add all of `new`).
    public init(from old: [Element], to new: [Element]) {
        for added in 0...new.count {
            let kept = new.count - added
            if kept <= old.count, old.suffix(kept).elementsEqual(new.prefix(kept)) {
                keep = kept
                add = Array(new.suffix(added))
                return
            }
        }
        keep = 0
        add = new
    }

    /// The new list, or nil when `old` is too short to keep what this tail keeps.
    public func applied(to old: [Element]) -> [Element]? {
        guard keep <= old.count else { return nil }
        return Array(old.suffix(keep)) + add
    }
}

/// The checks of a node or an instance that changed, by position, each without its growing
/// lists (latencies, status history) and with their tails. Unchanged checks are not sent.
public struct ChangedChecks: Sendable, Equatable, Codable {
    public struct Change: Sendable, Equatable, Codable {
        public var index: Int
        public var check: CheckSnapshot
        public var latencies: Tail<Double?>
        public var history: Tail<StatusChange>
    }

    /// How many checks there are now.
    public var count: Int
    public var changes: [Change]

    init(from old: [CheckSnapshot], to new: [CheckSnapshot]) {
        count = new.count
        changes = new.indices.compactMap { index in
            let before = index < old.count && old[index].name == new[index].name ? old[index] : nil
            guard before != new[index] else { return nil }
            var bare = new[index]
            bare.latencies = []
            bare.history = []
            return Change(
                index: index, check: bare, latencies: Tail(from: before?.latencies.finiteOnly ?? [], to: new[index].latencies.finiteOnly),
                history: Tail(from: before?.history ?? [], to: new[index].history)
            )
        }
    }

    /// The checks now, from `old`; nil when they cannot be rebuilt from it.
    func applied(to old: [CheckSnapshot]) -> [CheckSnapshot]? {
        var result = Array(old.prefix(count))
        guard result.count == count || changes.count == count else { return nil }
        if result.count < count { result = changes.map(\.check) }
        for change in changes {
            guard result.indices.contains(change.index) else { return nil }
            let before = change.index < old.count && old[change.index].name == change.check.name ? old[change.index] : nil
            guard let latencies = change.latencies.applied(to: before?.latencies ?? []),
                  let history = change.history.applied(to: before?.history ?? []) else { return nil }
            var check = change.check
            check.latencies = latencies
            check.history = history
            result[change.index] = check
        }
        return result
    }
}

/// A node that changed: itself without its growing lists and checks (and without its metrics
/// when they did not change), the tails of those lists, and the checks that changed.
public struct NodeChange: Sendable, Equatable, Codable {
    public var index: Int
    public var value: NodeSnapshot
    /// False when `value` carries no metrics because they did not change.
    public var metricsChanged: Bool
    public var cpu: Tail<Double?>
    public var memory: Tail<Double?>
    public var netRx: Tail<Double?>
    public var netTx: Tail<Double?>
    public var logs: Tail<String>
    public var checks: ChangedChecks

    enum CodingKeys: String, CodingKey {
        case index, value, cpu, memory, logs, checks
        case metricsChanged = "metrics_changed"
        case netRx = "net_rx"
        case netTx = "net_tx"
    }

    init(index: Int, from old: NodeSnapshot, to new: NodeSnapshot) {
        self.index = index
        var bare = new
        bare.history = NodeHistory()
        bare.recentLogs = []
        bare.checks = []
        metricsChanged = old.metrics != new.metrics
        if !metricsChanged { bare.metrics = NodeMetrics() }
        value = bare
        cpu = Tail(from: old.history.cpu.finiteOnly, to: new.history.cpu.finiteOnly)
        memory = Tail(from: old.history.memory.finiteOnly, to: new.history.memory.finiteOnly)
        netRx = Tail(from: old.history.networkReceive.finiteOnly, to: new.history.networkReceive.finiteOnly)
        netTx = Tail(from: old.history.networkSend.finiteOnly, to: new.history.networkSend.finiteOnly)
        logs = Tail(from: old.recentLogs, to: new.recentLogs)
        checks = ChangedChecks(from: old.checks, to: new.checks)
    }

    func applied(to old: NodeSnapshot) -> NodeSnapshot? {
        var node = value
        guard let cpu = cpu.applied(to: old.history.cpu), let memory = memory.applied(to: old.history.memory),
              let rx = netRx.applied(to: old.history.networkReceive), let tx = netTx.applied(to: old.history.networkSend),
              let logs = logs.applied(to: old.recentLogs), let checks = checks.applied(to: old.checks) else { return nil }
        if !metricsChanged { node.metrics = old.metrics }
        node.history.cpu = cpu
        node.history.memory = memory
        node.history.networkReceive = rx
        node.history.networkSend = tx
        node.recentLogs = logs
        node.checks = checks
        return node
    }
}

/// A service instance that changed: itself without its checks, and the checks that changed.
public struct ServiceChange: Sendable, Equatable, Codable {
    public var index: Int
    public var value: ServiceSnapshot
    public var checks: ChangedChecks

    init(index: Int, from old: ServiceSnapshot, to new: ServiceSnapshot) {
        self.index = index
        var bare = new
        bare.checks = []
        value = bare
        checks = ChangedChecks(from: old.checks, to: new.checks)
    }

    func applied(to old: ServiceSnapshot) -> ServiceSnapshot? {
        guard let checks = checks.applied(to: old.checks) else { return nil }
        var service = value
        service.checks = checks
        return service
    }
}

extension [Double?] {
    /// As the JSON carries them: a value that is not finite is null.
    var finiteOnly: [Double?] { map { $0.flatMap { $0.isFinite ? $0 : nil } } }
}

extension SnapshotDelta {
    /// The delta as one line of JSON, with the snapshot's own encoding of times.
    public func jsonData() throws -> Data { try ClusterSnapshot.encoder(pretty: false).encode(self) }

    /// Decodes the JSON written by `jsonData`.
    public static func decode(json: Data) throws -> SnapshotDelta { try ClusterSnapshot.decoder().decode(SnapshotDelta.self, from: json) }
}
