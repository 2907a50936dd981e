/// The series alert rules read from a snapshot, by name, and any scraped series the engine keeps.
///
/// Statuses are numbers that order them: passing 0, unknown 1, warning 2, critical 3, and
/// maintenance -1 (a person masked it, so it never counts as bad).
public struct SnapshotSeries: AlertSeriesSource {
    /// Every name this source knows, with the labels its samples carry and what it measures.
    public static let catalogue: [(name: String, labels: [String], help: String)] = [
        ("node_status", ["node"], "the node's status as a number (passing 0 … critical 3)"),
        ("node_up", ["node"], "1 unless the node is critical"),
        ("node_reachable", ["node"], "0 when every check on the node fails (nothing answers), else 1"),
        ("node_cpu", ["node"], "CPU busy, 0 to 1"),
        ("node_memory", ["node"], "memory used, 0 to 1"),
        ("node_request_rate", ["node"], "requests per second"),
        ("node_error_ratio", ["node"], "share of requests that failed, 0 to 1"),
        ("node_scrape_ok", ["node"], "1 when the last scrape of /metrics worked, 0 when it failed"),
        ("service_status", ["node", "service"], "the service instance's status as a number"),
        ("service_up", ["node", "service"], "1 unless the service instance is critical"),
        ("check_status", ["node", "service", "check", "type"], "the check's status as a number"),
        ("check_up", ["node", "service", "check", "type"], "1 unless the check is critical"),
        ("check_latency_ms", ["node", "service", "check", "type"], "the check's latest latency in milliseconds"),
        ("check_flapping", ["node", "service", "check", "type"], "1 while the check flaps (its state changed in half of its last 21 results), else 0"),
        ("lock_stale", ["lock", "node"], "1 while the lock's holder is on a critical node and its lease lives on"),
        ("lock_waiters", ["lock"], "how many wait for the lock"),
        ("lock_changes_per_hour", ["lock"], "holder changes in the last hour"),
        ("lock_ttl_seconds", ["lock", "node"], "seconds left on the holder's lease"),
        ("lock_status", ["lock"], "the lock's status as a number"),
        ("log_lines_per_min", ["node", "service"], "log lines in the last minute"),
        ("log_warnings_per_min", ["node", "service"], "warning lines in the last minute"),
        ("log_errors_per_min", ["node", "service"], "error (and worse) lines in the last minute"),
    ]

    public static var names: [String] { catalogue.map(\.name) }

    public let snapshot: ClusterSnapshot
    private let scraped: (String) -> [AlertSample]
    private let ranges: (String, String, Duration) -> [AlertSample]

    /// - Parameters:
    ///   - scraped: samples of scraped series by name (labelled by node and their own labels).
    ///   - ranges: a range function of scraped series by name, over a window.
    public init(
        _ snapshot: ClusterSnapshot, scraped: @escaping (String) -> [AlertSample] = { _ in [] },
        ranges: @escaping (String, String, Duration) -> [AlertSample] = { _, _, _ in [] }
    ) {
        self.snapshot = snapshot
        self.scraped = scraped
        self.ranges = ranges
    }

    public func range(_ function: String, of name: String, over window: Duration) -> [AlertSample] {
        ranges(function, name, window)
    }

    public static func number(_ status: Status) -> Double {
        switch status {
        case .passing: 0
        case .unknown: 1
        case .warning: 2
        case .critical: 3
        case .maintenance: -1
        }
    }

    public func samples(named name: String) -> [AlertSample] {
        switch name {
        case "node_status": return nodes { Self.number($0.status) }
        case "node_up": return nodes { $0.status == .critical ? 0 : 1 }
        case "node_reachable": return nodeReachability()
        case "node_cpu": return nodes { $0.metrics.cpu }
        case "node_memory": return nodes { $0.metrics.memory }
        case "node_request_rate": return nodes { $0.metrics.requestRate }
        case "node_error_ratio": return nodes { $0.metrics.errorRatio }
        case "node_scrape_ok":
            return snapshot.nodes.compactMap { node in
                if let error = node.metrics.scrapeError {
                    return AlertSample(labels: AlertLabels(["node": node.name]), value: 0, detail: error)
                }
                return node.metrics.cpu != nil || node.metrics.memory != nil ? AlertSample(labels: AlertLabels(["node": node.name]), value: 1) : nil
            }
        case "service_status": return services { Self.number($0.status) }
        case "service_up": return services { $0.status == .critical ? 0 : 1 }
        case "check_status": return checks { Self.number($0.status) }
        case "check_up": return checks { $0.status == .critical ? 0 : 1 }
        case "check_latency_ms": return checks { $0.latencyMs }
        case "check_flapping": return checks { $0.flapping == nil ? 0 : 1 }
        case "lock_stale":
            return snapshot.locks.compactMap { lock in
                guard lock.isStale, let node = lock.holderNode else { return nil }
                return AlertSample(labels: AlertLabels(["lock": lock.name, "node": node]), value: 1, detail: lock.diagnoses.first)
            }
        case "lock_waiters": return locks { Double($0.waiters) }
        case "lock_changes_per_hour": return locks { $0.changesPerHour }
        case "lock_status": return locks { Self.number($0.status) }
        case "lock_ttl_seconds":
            return snapshot.locks.compactMap { lock in
                guard let ttl = lock.leaseTTLSeconds else { return nil }
                var labels = AlertLabels(["lock": lock.name])
                if let node = lock.holderNode { labels["node"] = node }
                return AlertSample(labels: labels, value: Double(ttl))
            }
        default: return scraped(name)
        }
    }

    private func locks(_ value: (LockSnapshot) -> Double) -> [AlertSample] {
        snapshot.locks.map { AlertSample(labels: AlertLabels(["lock": $0.name]), value: value($0), detail: $0.diagnoses.first) }
    }

    private func nodes(_ value: (NodeSnapshot) -> Double?) -> [AlertSample] {
        snapshot.nodes.compactMap { node in
            value(node).map { AlertSample(labels: AlertLabels(["node": node.name]), value: $0, detail: Self.worstOutput(node.checks)) }
        }
    }

    private func services(_ value: (ServiceSnapshot) -> Double) -> [AlertSample] {
        snapshot.services.map { service in
            AlertSample(
                labels: AlertLabels(["node": service.node, "service": service.name]), value: value(service),
                detail: Self.worstOutput(service.checks)
            )
        }
    }

    private func checks(_ value: (CheckSnapshot) -> Double?) -> [AlertSample] {
        var result: [AlertSample] = []
        for node in snapshot.nodes {
            for check in node.checks {
                guard let number = value(check) else { continue }
                result.append(AlertSample(labels: AlertLabels(["node": node.name, "check": check.name, "type": check.type]), value: number, detail: check.output))
            }
        }
        for service in snapshot.services {
            for check in service.checks {
                guard let number = value(check) else { continue }
                let labels = AlertLabels(["node": service.node, "service": service.name, "check": check.name, "type": check.type])
                result.append(AlertSample(labels: labels, value: number, detail: check.output))
            }
        }
        return result
    }

    /// 0 for a node whose every check (its own and its services') has failed, 1 otherwise;
    /// nodes without checks, or with any check not yet run, have no sample.
    private func nodeReachability() -> [AlertSample] {
        var servicesByNode: [String: [ServiceSnapshot]] = [:]
        for service in snapshot.services { servicesByNode[service.node, default: []].append(service) }
        return snapshot.nodes.compactMap { node in
            // A node a person took down for maintenance is not down.
            guard node.maintenance == nil else { return nil }
            let checks = node.checks + (servicesByNode[node.name] ?? []).filter { $0.maintenance == nil }.flatMap(\.checks)
            guard !checks.isEmpty, checks.allSatisfy(\.hasResult) else { return nil }
            let down = checks.allSatisfy { $0.status == .critical }
            return AlertSample(labels: AlertLabels(["node": node.name]), value: down ? 0 : 1, detail: Self.worstOutput(checks))
        }
    }

    /// The output of the worst check, the one a person wants to read first.
    static func worstOutput(_ checks: [CheckSnapshot]) -> String? {
        checks.max { $0.status < $1.status }.flatMap { $0.status == .passing ? nil : $0.output }
    }
}
