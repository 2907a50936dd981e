import Foundation

/// What changed from one snapshot to the next, for `GET /v1/events`: the nodes and service
/// instances that differ (by position, when both snapshots list the same ones in the same order)
/// and the sections that changed, so an attached dashboard receives a few kilobytes a generation
/// instead of the whole cluster.
///
/// A delta applies only to the generation it was made from (`base`); when the lists themselves
/// changed (a reload added a node), there is no delta and the whole snapshot is sent instead.
public struct SnapshotDelta: Sendable, Equatable, Codable {
    public struct Changed<Value: Sendable & Equatable & Codable>: Sendable, Equatable, Codable {
        public var index: Int
        public var value: Value
    }

    /// The generation this delta applies to.
    public var base: UInt64
    public var generation: UInt64
    public var time: Date
    public var nodes: [Changed<NodeSnapshot>]
    public var services: [Changed<ServiceSnapshot>]
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
        var nodes: [Changed<NodeSnapshot>] = []
        for index in new.nodes.indices where old.nodes[index] != new.nodes[index] {
            guard old.nodes[index].name == new.nodes[index].name else { return nil }
            nodes.append(Changed(index: index, value: new.nodes[index]))
        }
        var services: [Changed<ServiceSnapshot>] = []
        for index in new.services.indices where old.services[index] != new.services[index] {
            guard old.services[index].name == new.services[index].name, old.services[index].node == new.services[index].node else { return nil }
            services.append(Changed(index: index, value: new.services[index]))
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
            guard result.nodes.indices.contains(change.index) else { return nil }
            result.nodes[change.index] = change.value
        }
        for change in services {
            guard result.services.indices.contains(change.index) else { return nil }
            result.services[change.index] = change.value
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

extension SnapshotDelta {
    /// The delta as one line of JSON, with the snapshot's own encoding of times.
    public func jsonData() throws -> Data { try ClusterSnapshot.encoder(pretty: false).encode(self) }

    /// Decodes the JSON written by `jsonData`.
    public static func decode(json: Data) throws -> SnapshotDelta { try ClusterSnapshot.decoder().decode(SnapshotDelta.self, from: json) }
}
