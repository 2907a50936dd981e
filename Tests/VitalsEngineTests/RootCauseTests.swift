import Foundation
import Testing
import VitalsCore
import VitalsSim
@testable import VitalsEngine
import VitalsTesting

/// Root cause through `depends_on` on the e-commerce cascade, with the built-in rules.
@Suite struct RootCauseTests {
    /// The alerts after the demo's incident unfolds in `steps` (seconds in, services failing
    /// by then; the whole incident from the last step on), looked at `lookAt` seconds in.
    static func alerts(after steps: [(Double, Set<String>?)], lookAt: Double) throws -> [AlertSnapshot] {
        let config = try Fixtures.ecommerce()
        let incident = try FixedSnapshot.ecommerceIncident()
        var tracker = AlertTracker(rules: config.alerting.rules)
        for (seconds, failing) in steps {
            let snapshot = failing.map { FixedSnapshot.only($0, of: incident) } ?? incident
            _ = tracker.evaluate(SnapshotSeries(snapshot), at: Fixtures.time.addingTimeInterval(seconds))
        }
        return tracker.alerts(at: Fixtures.time.addingTimeInterval(lookAt), dependencies: ServiceDependencies(config))
    }

    @Test func postgresIsTheRootOfTheCascadeOnTheDemo() throws {
        // The cascade as it happens: postgres fails first, then orders, then the gateway.
        let alerts = try Self.alerts(after: [(0, ["postgres"]), (7, ["postgres", "orders"]), (15, nil), (60, nil)], lookAt: 60)
        let postgres = try #require(alerts.first { $0.service == "postgres" })
        #expect(postgres.name == "ServiceDown" && postgres.node == "postgres-primary" && postgres.state == .firing)
        #expect(postgres.rootCause == nil)
        let downstream = alerts.filter { $0.service != "postgres" }
        #expect(Set(downstream.compactMap(\.service)) == ["orders", "api-gateway"])
        for alert in downstream { #expect(alert.rootCause == postgres.id, "\(alert.name) \(alert.service ?? "")") }
    }

    @Test func aServiceThatFailedFirstIsNotASymptomOfOneThatFailedLater() throws {
        let alerts = try Self.alerts(after: [(0, ["orders"]), (5, ["orders", "postgres"])], lookAt: 6)
        #expect(!alerts.isEmpty)
        #expect(alerts.allSatisfy { $0.rootCause == nil }, "orders broke on its own before postgres did")
    }

    @Test func aNodeDownExplainsItsServices() throws {
        let config = try Fixtures.ecommerce()
        var incident = try FixedSnapshot.ecommerceIncident()
        for index in incident.services.indices where incident.services[index].node == "cart-1" {
            incident.services[index].status = .critical
            for check in incident.services[index].checks.indices { incident.services[index].checks[check].status = .critical }
        }
        var tracker = AlertTracker(rules: config.alerting.rules.map { var r = $0; r.forDuration = .zero; return r })
        _ = tracker.evaluate(SnapshotSeries(incident), at: Fixtures.time)
        let alerts = tracker.alerts(at: Fixtures.time, dependencies: ServiceDependencies(config))
        let nodeDown = try #require(alerts.first { $0.name == "NodeDown" })
        #expect(nodeDown.node == "cart-1")
        #expect(alerts.first { $0.service == "cart" }?.rootCause == nodeDown.id)
    }

    static func only(_ failing: Set<String>, of snapshot: ClusterSnapshot) -> ClusterSnapshot { FixedSnapshot.only(failing, of: snapshot) }
}

/// The demo's real cascade, played three times faster with the real probes, on addresses of its
/// own (the end-to-end tests run the demo on its usual ones at the same time).
@Suite struct LiveCascadeTests {
    @Test func postgresPrimaryIsTheRootOfTheLiveCascade() async throws {
        var config = TestCluster.relocated(try Fixtures.ecommerce())
        for node in config.nodes.indices {
            for service in config.nodes[node].services.indices {
                for check in config.nodes[node].services[service].checks.indices {
                    config.nodes[node].services[service].checks[check].interval = .seconds(1)
                }
            }
        }
        config.alerting.rules = config.alerting.rules.map { var quick = $0; quick.forDuration = .seconds(2); return quick }
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(500)
        let scenario = try #require(Scenario.named("cascading-failure")).faster(by: 3)
        try await LiveCluster.with(config, options: options, scenario: scenario) { live in
            try await Self.check(live)
        }
    }

    static func check(_ live: LiveCluster) async throws {
        let wanted: Set = ["postgres", "orders", "payments", "api-gateway", "web"]
        // Eventually, during the cascade: every one of those services alerting, and every
        // downstream alert a symptom of a postgres-primary alert.
        let cascade = await live.first(timeout: .seconds(60), where: { snapshot in
            guard wanted.isSubset(of: Set(snapshot.alerts.compactMap(\.service))) else { return false }
            let roots = Set(snapshot.alerts.filter { $0.service == "postgres" && $0.node == "postgres-primary" }.map(\.id))
            return snapshot.alerts.filter { wanted.contains($0.service ?? "") && $0.service != "postgres" }
                .allSatisfy { $0.rootCause.map(roots.contains) == true }
        })
        let snapshot = try #require(cascade, "the cascade never showed postgres-primary as the root of all of \(wanted.sorted())")
        let roots = snapshot.alerts.filter { $0.service == "postgres" }
        #expect(!roots.isEmpty && roots.allSatisfy { $0.rootCause == nil })
        #expect(snapshot.alerts.filter { $0.rootCause != nil }.count >= 4)
    }
}
