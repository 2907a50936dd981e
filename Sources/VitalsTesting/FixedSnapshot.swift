import Foundation
import VitalsCore
import VitalsEngine

/// Deterministic snapshots of the e-commerce demo, for pane tests: same input, same screen.
public enum FixedSnapshot {
    /// The demo mid-incident: postgres critical (timing out), orders critical, api-gateway-1 warning,
    /// everything else passing, with metrics, latencies and histories.
    public static func ecommerceIncident() throws -> ClusterSnapshot {
        let config = try Fixtures.ecommerce()
        let now = Fixtures.time
        var nodes: [NodeSnapshot] = []
        var services: [ServiceSnapshot] = []
        for (nodeIndex, node) in config.nodes.enumerated() {
            var nodeStatuses: [Status] = []
            for service in node.services {
                let checks = service.checks.enumerated().map { checkIndex, check in
                    makeCheck(check, node: node.name, service: service.name, index: nodeIndex * 3 + checkIndex, now: now)
                }
                let status = Status.worst(checks.map(\.status))
                nodeStatuses.append(status)
                services.append(ServiceSnapshot(name: service.name, node: node.name, status: status, dependsOn: service.dependsOn, checks: checks))
            }
            var metrics = NodeMetrics(
                cpu: 0.1 + Double(nodeIndex % 7) * 0.11, memory: 0.3 + Double(nodeIndex % 5) * 0.1,
                requestRate: 20 + Double(nodeIndex) * 7.5, errorRatio: node.name.hasPrefix("orders") ? 0.42 : 0.001
            )
            metrics.load1 = 0.4 + Double(nodeIndex % 4) * 0.55
            metrics.load5 = 0.5 + Double(nodeIndex % 3) * 0.4
            metrics.load15 = 0.6
            metrics.openFiles = 1_000 + nodeIndex * 37
            metrics.disks = [
                DiskUsage(mount: "/", used: 0.31 + Double(nodeIndex % 6) * 0.1, sizeBytes: 53_660_876_800),
                DiskUsage(mount: "/var/lib/data", used: node.name == "postgres-primary" ? 0.93 : 0.4, sizeBytes: 214_643_507_200),
            ]
            metrics.networkReceiveRate = 40_000 + Double(nodeIndex) * 12_500
            metrics.networkSendRate = 180_000 + Double(nodeIndex) * 30_000
            var history = NodeHistory()
            for step in 0..<30 {
                var past = metrics
                past.cpu = (metrics.cpu ?? 0) * (0.6 + Double((step * 7 + nodeIndex) % 9) * 0.05)
                past.memory = (metrics.memory ?? 0) * (0.9 + Double(step % 5) * 0.02)
                past.networkReceiveRate = (metrics.networkReceiveRate ?? 0) * (0.5 + Double((step + nodeIndex) % 6) * 0.1)
                history.append(step == 12 && node.name == "postgres-primary" ? nil : past)
            }
            let logs = node.name == "postgres-primary" ? [
                "2026-11-26T09:59:41.102Z INFO postgres: checkpoint starting: time",
                "2026-11-26T09:59:49.870Z WARN postgres: slow request: 1620ms",
                "2026-11-26T09:59:58.311Z ERROR postgres: request failed: scenario: postgres primary stalled on I/O",
            ] : []
            var snapshot = NodeSnapshot(
                name: node.name, address: node.address, status: Status.worst(nodeStatuses), services: node.services.map(\.name),
                metrics: metrics, recentLogs: logs
            )
            snapshot.history = history
            nodes.append(snapshot)
        }
        return ClusterSnapshot(cluster: config.name, generation: 42, time: now, nodes: nodes, services: services)
    }

    private static func makeCheck(_ check: CheckConfig, node: String, service: String, index: Int, now: Date) -> CheckSnapshot {
        let latency = 1.0 + Double(index % 9) * 0.35
        let latencies: [Double?] = (0..<12).map { step in 1.0 + Double((index + step * 5) % 11) * 0.3 }
        var status = Status.passing
        var output = check.target.typeName == "http"
            ? "HTTP GET \(check.target.description): 200 OK Output: ok"
            : "TCP connect \(check.target.description): Success"
        var latencyMs: Double? = latency
        var since = now.addingTimeInterval(-3600 - Double(index) * 60)
        var history = [StatusChange(time: since, from: .unknown, to: .passing, output: output)]
        if service == "postgres" && check.name == "http" {
            status = .critical
            output = "HTTP GET \(check.target.description): timed out after 1s"
            latencyMs = 1000
            since = now.addingTimeInterval(-95)
            history.append(StatusChange(time: now.addingTimeInterval(-130), from: .passing, to: .warning, output: "HTTP GET \(check.target.description): 200 OK Output: ok (took 452ms, limit 300ms)"))
            history.append(StatusChange(time: since, from: .warning, to: .critical, output: output))
        } else if service == "orders" && check.name == "http" {
            status = .critical
            output = "HTTP GET \(check.target.description): 500 Internal Server Error Output: upstream postgres: query timed out after 1000ms"
            since = now.addingTimeInterval(-61)
            history.append(StatusChange(time: since, from: .passing, to: .critical, output: output))
        } else if node == "api-gateway-1" && check.name == "http" {
            status = .warning
            output = "HTTP GET \(check.target.description): 429 Too Many Requests Output: degraded: checkout failing (orders, payments circuit open)"
            since = now.addingTimeInterval(-33)
            history.append(StatusChange(time: since, from: .passing, to: .warning, output: output))
        }
        return CheckSnapshot(
            name: check.name, type: check.target.typeName, target: check.target.description, status: status, output: output,
            latencyMs: latencyMs, since: since, lastRun: now.addingTimeInterval(-1), history: history,
            latencies: status == .critical && service == "postgres" ? latencies.dropLast(3) + [nil, nil, nil] : latencies
        )
    }
}

extension FixedSnapshot {
    /// The incident with its alerts, made by the real alert tracker and built-in rules: postgres
    /// failed first (the root), orders 7 s later, the api-gateway 15 s later (symptoms); an
    /// acknowledgement on orders-1 and a silence on nothing yet.
    public static func ecommerceIncidentWithAlerts() throws -> ClusterSnapshot {
        let config = try Fixtures.ecommerce()
        var snapshot = try ecommerceIncident()
        var tracker = AlertTracker(rules: config.alerting.rules)
        let start = Fixtures.time.addingTimeInterval(-90)
        _ = tracker.evaluate(SnapshotSeries(only(["postgres"], of: snapshot)), at: start)
        _ = tracker.evaluate(SnapshotSeries(only(["postgres", "orders"], of: snapshot)), at: start.addingTimeInterval(7))
        _ = tracker.evaluate(SnapshotSeries(snapshot), at: start.addingTimeInterval(15))
        _ = tracker.evaluate(SnapshotSeries(snapshot), at: Fixtures.time)
        let dependencies = ServiceDependencies(config)
        if let orders = tracker.alerts(at: Fixtures.time, dependencies: dependencies).first(where: { $0.node == "orders-1" }) {
            tracker.acknowledge([orders.id], AlertTracker.Ack(by: "alice", at: Fixtures.time.addingTimeInterval(-20), comment: "pool size raised, watching"))
        }
        snapshot.alerts = tracker.alerts(at: Fixtures.time, dependencies: dependencies)
        return snapshot
    }

    /// `snapshot` with every service not named in `failing` put back to passing.
    public static func only(_ failing: Set<String>, of snapshot: ClusterSnapshot) -> ClusterSnapshot {
        var result = snapshot
        for index in result.services.indices where !failing.contains(result.services[index].name) {
            result.services[index].status = .passing
            for check in result.services[index].checks.indices { result.services[index].checks[check].status = .passing }
        }
        return result
    }
}

extension FixedSnapshot {
    /// The incident with the demo's locks: orders-1 holds the migration lock while it is critical
    /// (stale), orders-2 waits; inventory-1 leads its election; postgres-primary holds the leader key.
    public static func ecommerceIncidentWithLocks() throws -> ClusterSnapshot {
        var snapshot = try ecommerceIncidentWithAlerts()
        let now = Fixtures.time
        snapshot.locks = [
            LockSnapshot(
                name: "/locks/orders-migration", kind: .mutex, holder: "orders-1", holderNode: "orders-1",
                holderKey: "/locks/orders-migration/694d7a1b2c3e0001", lease: "694d7a1b2c3e0001", leaseTTLSeconds: 9, grantedTTLSeconds: 10,
                heldSince: now.addingTimeInterval(-1800), heldSinceExact: false,
                queue: [LockSnapshot.Waiter(key: "/locks/orders-migration/694d7a1b2c3e0002", value: "orders-2", node: "orders-2", since: now.addingTimeInterval(-95))],
                changesPerHour: 0, status: .critical, diagnoses: ["orders-1 is down but holds /locks/orders-migration for 9 s more"],
                isStale: true, source: "watch 127.0.1.28:2379"
            ),
            LockSnapshot(
                name: "/election/inventory", kind: .election, holder: "inventory-1", holderNode: "inventory-1",
                holderKey: "/election/inventory/694d7a1b2c3e0003", lease: "694d7a1b2c3e0003", leaseTTLSeconds: 10, grantedTTLSeconds: 10,
                heldSince: now.addingTimeInterval(-300), heldSinceExact: true,
                queue: [LockSnapshot.Waiter(key: "/election/inventory/694d7a1b2c3e0004", value: "inventory-2", node: "inventory-2", since: now.addingTimeInterval(-300))],
                changesPerHour: 2, status: .passing, source: "watch 127.0.1.28:2379"
            ),
            LockSnapshot(
                name: "/service/postgres/leader", kind: .leaderKey, holder: "postgres-primary", holderNode: "postgres-primary",
                holderKey: "/service/postgres/leader", lease: "694d7a1b2c3e0005", leaseTTLSeconds: 7, grantedTTLSeconds: 10,
                heldSince: now.addingTimeInterval(-7200), heldSinceExact: false, status: .passing, source: "watch 127.0.1.28:2379"
            ),
        ]
        return snapshot
    }
}
