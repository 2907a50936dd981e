import Foundation

/// A person's maintenance of a node or a service instance: its status is `maintenance` and masks
/// the checks beneath it (they still run and are shown) until it ends or expires.
public struct Maintenance: Sendable, Equatable, Codable {
    public var node: String
    /// nil: the whole node.
    public var service: String?
    public var reason: String
    public var by: String
    public var since: Date
    public var until: Date?

    public init(node: String, service: String? = nil, reason: String, by: String, since: Date, until: Date? = nil) {
        self.node = node
        self.service = service
        self.reason = reason
        self.by = by
        self.since = since
        self.until = until
    }

    /// `orders-1` or `orders-1/orders`.
    public var target: String { service.map { "\(node)/\($0)" } ?? node }
}

/// Everything the engine knows about the cluster at one moment: immutable, numbered, and the only
/// thing the UI reads.
///
/// Generations increase by one with every published change, so a reader can tell new from old.
public struct ClusterSnapshot: Sendable, Equatable, Codable {
    public var cluster: String
    public var generation: UInt64
    public var time: Date
    public var nodes: [NodeSnapshot]
    public var services: [ServiceSnapshot]
    public var locks: [LockSnapshot]
    /// Pending and firing alerts, and resolved ones for a while after they resolve.
    public var alerts: [AlertSnapshot]
    /// Silences, active and recently expired.
    public var silences: [SilenceSnapshot]
    /// Resolved alerts, newest first, with their duration and acks.
    public var alertHistory: [AlertSnapshot]
    /// Why acks and silences cannot be saved right now (the state file failed), if they cannot.
    public var stateProblem: String?
    /// How full the log store is (nil when logs are not kept).
    public var logStats: LogStats?
    /// Replica advice per service with a scaling policy (nil when the file has none).
    public var capacity: [CapacityAdvice]?

    public init(
        cluster: String, generation: UInt64, time: Date, nodes: [NodeSnapshot], services: [ServiceSnapshot],
        locks: [LockSnapshot] = [], alerts: [AlertSnapshot] = [], silences: [SilenceSnapshot] = [], alertHistory: [AlertSnapshot] = []
    ) {
        self.silences = silences
        self.alertHistory = alertHistory
        self.cluster = cluster
        self.generation = generation
        self.time = time
        self.nodes = nodes
        self.services = services
        self.locks = locks
        self.alerts = alerts
    }

    enum CodingKeys: String, CodingKey {
        case cluster, generation, time, nodes, services, locks, alerts, silences
        case alertHistory = "alert_history"
        case stateProblem = "state_problem"
        case logStats = "logs"
        case capacity
    }

    /// How many nodes are in each status.
    /// Services (instances) by status, as the Services pane lists them.
    public var serviceCounts: [Status: Int] {
        var counts = [Int](repeating: 0, count: Status.allCases.count)
        for index in services.indices { counts[services[index].status.countIndex] += 1 }
        var result: [Status: Int] = [:]
        for (status, count) in zip(Status.allCases, counts) where count > 0 { result[status] = count }
        return result
    }

    public var nodeCounts: [Status: Int] {
        // Counted by index so no node is copied: this runs every frame over the whole fleet.
        var counts = [Int](repeating: 0, count: Status.allCases.count)
        for index in nodes.indices { counts[nodes[index].status.countIndex] += 1 }
        var result: [Status: Int] = [:]
        for (status, count) in zip(Status.allCases, counts) where count > 0 { result[status] = count }
        return result
    }

    public func node(named name: String) -> NodeSnapshot? { nodes.first { $0.name == name } }

    /// The service instances running on `node`.
    public func services(on node: String) -> [ServiceSnapshot] { services.filter { $0.node == node } }

    /// Service instances that name `service` in their `depends_on`.
    public func dependents(of service: String) -> [ServiceSnapshot] {
        services.filter { $0.dependsOn.contains(service) }
    }

    /// The worst status among instances of the service called `name`; `unknown` if none run.
    public func status(ofService name: String) -> Status {
        let instances = services.filter { $0.name == name }
        return instances.isEmpty ? .unknown : Status.worst(instances.map(\.status))
    }

    /// Whether every check has reported at least once.
    public var everyCheckHasResult: Bool {
        nodes.allSatisfy { $0.checks.allSatisfy(\.hasResult) } && services.allSatisfy { $0.checks.allSatisfy(\.hasResult) }
    }

    /// An empty snapshot for a cluster that has not been probed yet.
    public static func empty(cluster: String) -> ClusterSnapshot {
        ClusterSnapshot(cluster: cluster, generation: 0, time: Date(timeIntervalSince1970: 0), nodes: [], services: [])
    }
}

/// One node: its status (the worst of its node checks and services) and its latest metrics.
public struct NodeSnapshot: Sendable, Equatable, Codable {
    public var name: String
    public var address: String
    public var status: Status
    /// Names of the services running here.
    public var services: [String]
    public var metrics: NodeMetrics
    /// Checks of the node itself (not of a service).
    public var checks: [CheckSnapshot]
    /// The newest lines from the node's log endpoint, oldest first, safe for a terminal.
    public var recentLogs: [String]
    /// Set while a person has the node in maintenance.
    public var maintenance: Maintenance?
    /// While the node's circuit breaker is open: when it opened and when the next probe goes.
    public var breakerOpenedAt: Date?
    public var breakerNextTry: Date?
    /// Its vital signs over the last scrapes, for sparklines and graphs.
    public var history = NodeHistory()
    /// Set for a node that registered itself through the API: its ID, who and when.
    public var registered: NodeOrigin?

    public init(
        name: String, address: String, status: Status, services: [String], metrics: NodeMetrics = NodeMetrics(),
        checks: [CheckSnapshot] = [], recentLogs: [String] = []
    ) {
        self.name = name
        self.address = address
        self.status = status
        self.services = services
        self.metrics = metrics
        self.checks = checks
        self.recentLogs = recentLogs
    }

    enum CodingKeys: String, CodingKey {
        case name, address, status, services, metrics, checks, history
        case recentLogs = "recent_logs"
        case maintenance
        case breakerOpenedAt = "breaker_opened_at"
        case breakerNextTry = "breaker_next_try"
        case registered
    }
}

/// The few numbers a node view shows at a glance, as ratios from 0 to 1.
public struct NodeMetrics: Sendable, Equatable, Codable {
    public var cpu: Double?
    public var memory: Double?
    /// Requests per second over the last scrape interval.
    public var requestRate: Double?
    /// Share of requests that failed over the last scrape interval.
    public var errorRatio: Double?
    /// Why the last scrape failed, if it did.
    public var scrapeError: String?
    /// Load averages over 1, 5 and 15 minutes.
    public var load1: Double?
    public var load5: Double?
    public var load15: Double?
    /// Open file descriptors on the machine.
    public var openFiles: Int?
    /// Used share of each disk (real file systems only).
    public var disks: [DiskUsage] = []
    /// Network bytes per second, all interfaces but loopback.
    public var networkReceiveRate: Double?
    public var networkSendRate: Double?
    /// The scrape store's own size for this node: series kept, samples, bytes.
    public var storedSeries: Int?
    public var storedSamples: Int?
    public var storedBytes: Int?
    /// How long the last good scrape took, how many samples it had, and what it skipped.
    public var scrapeDurationMs: Double?
    public var scrapeSamples: Int?
    public var scrapeWarning: String?
    /// When the numbers above were read: a failed scrape keeps them, and they are stale since.
    public var scrapedAt: Date?

    public init(cpu: Double? = nil, memory: Double? = nil, requestRate: Double? = nil, errorRatio: Double? = nil, scrapeError: String? = nil) {
        self.cpu = cpu
        self.memory = memory
        self.requestRate = requestRate
        self.errorRatio = errorRatio
        self.scrapeError = scrapeError
    }

    enum CodingKeys: String, CodingKey {
        case cpu, memory
        case requestRate = "request_rate"
        case errorRatio = "error_ratio"
        case scrapeError = "scrape_error"
        case scrapeDurationMs = "scrape_ms"
        case scrapeSamples = "scrape_samples"
        case scrapeWarning = "scrape_warning"
        case scrapedAt = "scraped_at"
        case load1, load5, load15, disks
        case storedSeries = "stored_series"
        case storedSamples = "stored_samples"
        case storedBytes = "stored_bytes"
        case openFiles = "open_files"
        case networkReceiveRate = "net_rx_bytes_per_s"
        case networkSendRate = "net_tx_bytes_per_s"
    }

    /// The worst disk: the one with the largest used share.
    public var fullestDisk: DiskUsage? { disks.max { $0.used < $1.used } }

    /// Writes a number that is not finite as absent: JSON has no NaN or infinity, and one odd
    /// value must not stop the whole snapshot from being written.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(cpu.flatMap(Self.finite), forKey: .cpu)
        try container.encodeIfPresent(memory.flatMap(Self.finite), forKey: .memory)
        try container.encodeIfPresent(requestRate.flatMap(Self.finite), forKey: .requestRate)
        try container.encodeIfPresent(errorRatio.flatMap(Self.finite), forKey: .errorRatio)
        try container.encodeIfPresent(scrapeError, forKey: .scrapeError)
        try container.encodeIfPresent(scrapeDurationMs.flatMap(Self.finite), forKey: .scrapeDurationMs)
        try container.encodeIfPresent(scrapeSamples, forKey: .scrapeSamples)
        try container.encodeIfPresent(scrapeWarning, forKey: .scrapeWarning)
        try container.encodeIfPresent(scrapedAt, forKey: .scrapedAt)
        try container.encodeIfPresent(load1.flatMap(Self.finite), forKey: .load1)
        try container.encodeIfPresent(load5.flatMap(Self.finite), forKey: .load5)
        try container.encodeIfPresent(load15.flatMap(Self.finite), forKey: .load15)
        try container.encodeIfPresent(openFiles, forKey: .openFiles)
        try container.encode(disks, forKey: .disks)
        try container.encodeIfPresent(storedSeries, forKey: .storedSeries)
        try container.encodeIfPresent(storedSamples, forKey: .storedSamples)
        try container.encodeIfPresent(storedBytes, forKey: .storedBytes)
        try container.encodeIfPresent(networkReceiveRate.flatMap(Self.finite), forKey: .networkReceiveRate)
        try container.encodeIfPresent(networkSendRate.flatMap(Self.finite), forKey: .networkSendRate)
    }

    private static func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }
}

/// A node's vital signs over its last scrapes, oldest first (nil where a scrape failed).
public struct NodeHistory: Sendable, Equatable, Codable {
    /// How many scrapes are kept.
    public static let length = 60

    public var cpu: [Double?] = []
    public var memory: [Double?] = []
    public var networkReceive: [Double?] = []
    public var networkSend: [Double?] = []

    public init() {}

    /// Adds one scrape's numbers, dropping the oldest beyond `length`.
    public mutating func append(_ metrics: NodeMetrics?) {
        func push(_ values: inout [Double?], _ value: Double?) {
            values.append(value)
            if values.count > Self.length { values.removeFirst(values.count - Self.length) }
        }
        push(&cpu, metrics?.cpu)
        push(&memory, metrics?.memory)
        push(&networkReceive, metrics?.networkReceiveRate)
        push(&networkSend, metrics?.networkSendRate)
    }

    enum CodingKeys: String, CodingKey {
        case cpu, memory
        case networkReceive = "net_rx"
        case networkSend = "net_tx"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        func finite(_ values: [Double?]) -> [Double?] { values.map { $0.flatMap { $0.isFinite ? $0 : nil } } }
        try container.encode(finite(cpu), forKey: .cpu)
        try container.encode(finite(memory), forKey: .memory)
        try container.encode(finite(networkReceive), forKey: .networkReceive)
        try container.encode(finite(networkSend), forKey: .networkSend)
    }
}

/// How full one disk is.
public struct DiskUsage: Sendable, Equatable, Codable {
    public var mount: String
    /// Used share, 0 to 1.
    public var used: Double
    public var sizeBytes: Double

    public init(mount: String, used: Double, sizeBytes: Double) {
        self.mount = mount
        self.used = used
        self.sizeBytes = sizeBytes
    }

    enum CodingKeys: String, CodingKey {
        case mount, used
        case sizeBytes = "size_bytes"
    }
}

/// One service instance on one node, with its checks.
public struct ServiceSnapshot: Sendable, Equatable, Codable {
    public var name: String
    public var node: String
    public var status: Status
    public var dependsOn: [String]
    public var checks: [CheckSnapshot]
    /// Set while a person has this service instance (or its node) in maintenance.
    public var maintenance: Maintenance?

    public init(name: String, node: String, status: Status, dependsOn: [String] = [], checks: [CheckSnapshot]) {
        self.name = name
        self.node = node
        self.status = status
        self.dependsOn = dependsOn
        self.checks = checks
    }

    /// How many checks are passing, and how many there are.
    public var passingCount: (passing: Int, total: Int) {
        (checks.filter { $0.status == .passing }.count, checks.count)
    }

    /// The slowest latest latency among the checks, in milliseconds.
    public var latencyMs: Double? { checks.compactMap(\.latencyMs).max() }

    /// When the service last changed status: the latest change among its checks.
    public var since: Date? { checks.compactMap(\.since).max() }

    enum CodingKeys: String, CodingKey {
        case name, node, status, checks, maintenance
        case dependsOn = "depends_on"
    }
}

/// A check's latest result and its recent past.
public struct CheckSnapshot: Sendable, Equatable, Codable {
    public var name: String
    public var type: String
    public var target: String
    public var status: Status
    /// What the probe saw, already made safe for a terminal.
    public var output: String
    public var latencyMs: Double?
    /// When the status last changed.
    public var since: Date?
    /// When the last result arrived.
    public var lastRun: Date?
    /// Recent status changes, oldest first.
    public var history: [StatusChange]
    /// Recent latencies in milliseconds, oldest first (nil for a round that got no answer).
    public var latencies: [Double?]
    /// How far the check is toward its next status, when thresholds hold it back
    /// ("2/3 failures toward critical").
    public var progress: String?
    /// While the check flaps: the weighted share of its last results that changed state (0–100).
    public var flapping: Double?
    /// While critical, when Consul would deregister its service (`deregister_critical_service_after`).
    public var deregisterAt: Date?

    /// The output without the probe's own `HTTP GET <target>: ` or `TCP connect <target>: `,
    /// which a row that already names the check does not need.
    public var outputWithoutTarget: String {
        for prefix in ["HTTP GET \(target): ", "TCP connect \(target): "] where output.hasPrefix(prefix) {
            return String(output.dropFirst(prefix.count))
        }
        return output
    }

    public init(
        name: String, type: String, target: String, status: Status, output: String, latencyMs: Double? = nil,
        since: Date? = nil, lastRun: Date? = nil, history: [StatusChange] = [], latencies: [Double?] = [], progress: String? = nil,
        flapping: Double? = nil, deregisterAt: Date? = nil
    ) {
        self.deregisterAt = deregisterAt
        self.progress = progress
        self.flapping = flapping
        self.name = name
        self.type = type
        self.target = target
        self.status = status
        self.output = output
        self.latencyMs = latencyMs
        self.since = since
        self.lastRun = lastRun
        self.history = history
        self.latencies = latencies
    }

    public var hasResult: Bool { lastRun != nil }

    /// The p50, p95 and p99 of the recent latencies (those with an answer), nearest rank; nil
    /// when there are none.
    public var latencyPercentiles: (p50: Double, p95: Double, p99: Double)? {
        let values = latencies.compactMap { $0 }.sorted()
        guard !values.isEmpty else { return nil }
        func rank(_ p: Double) -> Double { values[max(0, min(values.count - 1, Int((p * Double(values.count)).rounded(.up)) - 1))] }
        return (rank(0.5), rank(0.95), rank(0.99))
    }

    enum CodingKeys: String, CodingKey {
        case name, type, target, status, output, since, history, latencies, progress, flapping
        case deregisterAt = "deregister_at"
        case latencyMs = "latency_ms"
        case lastRun = "last_run"
    }
}

/// A status change of a check, kept for its history.
public struct StatusChange: Sendable, Equatable, Codable {
    public var time: Date
    public var from: Status
    public var to: Status
    public var output: String

    public init(time: Date, from: Status, to: Status, output: String) {
        self.time = time
        self.from = from
        self.to = to
        self.output = output
    }
}
