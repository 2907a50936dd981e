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

    enum CodingKeys: String, CodingKey {
        case base, generation, time, nodes, services, locks, alerts, silences
        case alertHistory = "alert_history"
        case stateProblem = "state_problem"
        case logStats = "logs"
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

/// The lists that grow at their end, for every check of a node or an instance, by position.
public struct CheckTails: Sendable, Equatable, Codable {
    public var latencies: Tail<Double?>
    public var history: Tail<StatusChange>

    init(from old: CheckSnapshot?, to new: CheckSnapshot) {
        latencies = Tail(from: old?.latencies.finiteOnly ?? [], to: new.latencies.finiteOnly)
        history = Tail(from: old?.history ?? [], to: new.history)
    }

    static func strip(_ checks: [CheckSnapshot]) -> [CheckSnapshot] {
        checks.map { check in
            var bare = check
            bare.latencies = []
            bare.history = []
            return bare
        }
    }

    /// `checks` (with their lists stripped) with the lists rebuilt from `old`'s.
    static func rebuild(_ checks: [CheckSnapshot], old: [CheckSnapshot], tails: [CheckTails]) -> [CheckSnapshot]? {
        guard checks.count == tails.count else { return nil }
        var result = checks
        for index in result.indices {
            let before = index < old.count && old[index].name == result[index].name ? old[index] : nil
            guard let latencies = tails[index].latencies.applied(to: before?.latencies ?? []),
                  let history = tails[index].history.applied(to: before?.history ?? []) else { return nil }
            result[index].latencies = latencies
            result[index].history = history
        }
        return result
    }
}

/// A node that changed: itself without its growing lists, and their tails.
public struct NodeChange: Sendable, Equatable, Codable {
    public var index: Int
    public var value: NodeSnapshot
    public var cpu: Tail<Double?>
    public var memory: Tail<Double?>
    public var netRx: Tail<Double?>
    public var netTx: Tail<Double?>
    public var logs: Tail<String>
    public var checks: [CheckTails]

    enum CodingKeys: String, CodingKey {
        case index, value, cpu, memory, logs, checks
        case netRx = "net_rx"
        case netTx = "net_tx"
    }

    init(index: Int, from old: NodeSnapshot, to new: NodeSnapshot) {
        self.index = index
        var bare = new
        bare.history = NodeHistory()
        bare.recentLogs = []
        bare.checks = CheckTails.strip(new.checks)
        value = bare
        cpu = Tail(from: old.history.cpu.finiteOnly, to: new.history.cpu.finiteOnly)
        memory = Tail(from: old.history.memory.finiteOnly, to: new.history.memory.finiteOnly)
        netRx = Tail(from: old.history.networkReceive.finiteOnly, to: new.history.networkReceive.finiteOnly)
        netTx = Tail(from: old.history.networkSend.finiteOnly, to: new.history.networkSend.finiteOnly)
        logs = Tail(from: old.recentLogs, to: new.recentLogs)
        checks = new.checks.enumerated().map { index, check in
            CheckTails(from: index < old.checks.count && old.checks[index].name == check.name ? old.checks[index] : nil, to: check)
        }
    }

    func applied(to old: NodeSnapshot) -> NodeSnapshot? {
        var node = value
        guard let cpu = cpu.applied(to: old.history.cpu), let memory = memory.applied(to: old.history.memory),
              let rx = netRx.applied(to: old.history.networkReceive), let tx = netTx.applied(to: old.history.networkSend),
              let logs = logs.applied(to: old.recentLogs), let checks = CheckTails.rebuild(value.checks, old: old.checks, tails: checks) else { return nil }
        node.history.cpu = cpu
        node.history.memory = memory
        node.history.networkReceive = rx
        node.history.networkSend = tx
        node.recentLogs = logs
        node.checks = checks
        return node
    }
}

/// A service instance that changed: itself without its checks' growing lists, and their tails.
public struct ServiceChange: Sendable, Equatable, Codable {
    public var index: Int
    public var value: ServiceSnapshot
    public var checks: [CheckTails]

    init(index: Int, from old: ServiceSnapshot, to new: ServiceSnapshot) {
        self.index = index
        var bare = new
        bare.checks = CheckTails.strip(new.checks)
        value = bare
        checks = new.checks.enumerated().map { index, check in
            CheckTails(from: index < old.checks.count && old.checks[index].name == check.name ? old.checks[index] : nil, to: check)
        }
    }

    func applied(to old: ServiceSnapshot) -> ServiceSnapshot? {
        guard let checks = CheckTails.rebuild(value.checks, old: old.checks, tails: checks) else { return nil }
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
