import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsTesting

/// Maintenance of a node or service instance: it masks the checks beneath it (which keep
/// running) and their alerts, persists across a restart, and ends by hand or on expiry.
@Suite(.serialized) struct MaintenanceTests {
    static func cluster() -> ClusterConfig {
        let address = TestCluster.uniqueAddress()
        // Nothing listens on the port: the check is critical.
        let check = CheckConfig(name: "port", target: .tcp(host: address, port: 7001), interval: .milliseconds(100), timeout: .milliseconds(200))
        return ClusterConfig(name: "m", nodes: [
            NodeConfig(name: "db-1", address: address, services: [ServiceConfig(name: "db", checks: [check]), ServiceConfig(name: "cache")]),
        ])
    }

    @Test func aServiceInMaintenanceMasksItsChecksAndTheirAlerts() async throws {
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(50)
        var config = Self.cluster()
        config.alerting = AlertingConfig(rules: AlertRule.builtIn.map { var rule = $0; rule.forDuration = .zero; return rule })
        let engine = Engine(config: config, options: options)
        let running = Task { await engine.run() }
        defer { running.cancel() }
        _ = try #require(await engine.store.first(where: { $0.alerts.contains { $0.name == "ServiceDown" } }, timeout: .seconds(10)))
        #expect(try engine.beginMaintenance(node: "db-1", service: "db", reason: "failover drill", for: nil, by: "alice"))
        let masked = try #require(await engine.store.first(where: { $0.services.first?.status == .maintenance }, timeout: .seconds(30)))
        #expect(masked.services[0].maintenance?.reason == "failover drill")
        #expect(masked.services[0].checks[0].status == .critical, "the check itself still says what it sees")
        #expect(masked.nodes[0].status != .critical, "the node is not critical because of a masked service")
        let runs = masked.services[0].checks[0].lastRun
        let quiet = await engine.store.first(where: { $0.alerts.filter { $0.name == "ServiceDown" && $0.state == .firing }.isEmpty && $0.services[0].checks[0].lastRun != runs }, timeout: .seconds(30))
        #expect(quiet != nil, "checks keep running and the alert resolves")
        #expect(try engine.beginMaintenance(node: "db-1", service: "nope", reason: "x", for: nil, by: "alice") == false)
        #expect(try engine.endMaintenance(node: "db-1", service: "db", by: "alice"))
        let back = await engine.store.first(where: { $0.services[0].status == .critical && $0.services[0].maintenance == nil }, timeout: .seconds(30))
        #expect(back != nil)
        running.cancel()
        await running.value
    }

    @Test func maintenancePersistsAcrossARestartAndExpires() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-maintenance-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = Self.cluster()
        do {
            let store = try AlertStateStore(path: path)
            let engine = Engine(config: config, state: (store, try store.load()))
            #expect(try engine.beginMaintenance(node: "db-1", service: nil, reason: "kernel upgrade", for: .seconds(2), by: "bob"))
            #expect(engine.store.latest.nodes[0].status == .maintenance)
        }
        // A new engine on the same state file: the node is still in maintenance, until it expires.
        let store = try AlertStateStore(path: path)
        let loaded = try store.load()
        #expect(loaded.maintenance.map(\.reason) == ["kernel upgrade"])
        let engine = Engine(config: config, state: (store, loaded))
        #expect(engine.store.latest.nodes[0].maintenance?.by == "bob")
        #expect(engine.store.latest.services.allSatisfy { $0.status == .maintenance })
        let running = Task { await engine.run() }
        defer { running.cancel() }
        let expired = await engine.store.first(where: { $0.nodes[0].maintenance == nil }, timeout: .seconds(10))
        #expect(expired != nil)
        #expect(try AlertStateStore(path: path).load().maintenance.isEmpty)
        #expect(try AlertStateStore(path: path).journal().contains { $0.action == "end maintenance" && $0.target == "db-1" && $0.who == "vitals (expired)" })
        running.cancel()
        await running.value
    }
}
