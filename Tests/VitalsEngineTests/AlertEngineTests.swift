import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsSim
import VitalsTesting

/// Alerts end to end inside the engine: real sockets, a real SQLite file, real HTTP receivers.
@Suite struct AlertEngineTests {
    /// Two nodes with fast checks; built-in rules fire at once.
    static func cluster(webhooks: [String] = [], alertmanager: String? = nil) -> ClusterConfig {
        var config = TestCluster.make(nodes: ["a", "b"])
        let rules = AlertRule.builtIn.map { rule -> AlertRule in
            var quick = rule
            quick.forDuration = .zero
            return quick
        }
        config.alerting = AlertingConfig(rules: rules, alertmanager: alertmanager, webhooks: webhooks)
        return config
    }

    static func options(timeout: Duration = .seconds(2), attempts: Int = 2) -> Engine.Options {
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(200)
        options.notifyTimeout = timeout
        options.notifyAttempts = attempts
        return options
    }

    /// The parts of an Alertmanager webhook body the tests look at.
    static func webhook(_ body: String) -> (version: String?, status: String?, alertNames: [String]) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] else { return (nil, nil, []) }
        let alerts = object["alerts"] as? [[String: Any]] ?? []
        return (object["version"] as? String, object["status"] as? String, alerts.compactMap { ($0["labels"] as? [String: String])?["alertname"] })
    }

    @Test func aDownNodeFiresAlertsAnAckIsStoredAndSurvivesARestart() async throws {
        let path = AlertStateStoreTests.temporaryPath()
        let webhook = try await RecordingServer.start()
        let config = Self.cluster(webhooks: [webhook.url + "/hook"])
        let firstStore = try AlertStateStore(path: path)
        let acked = try await LiveCluster.with(config, faults: ["b": .down], options: Self.options(), state: firstStore) { live in
            try await Self.fireAndAcknowledge(live, path: path, webhook: webhook)
        }
        // A new engine on the same file, b still down: the same alert, still acknowledged.
        try await LiveCluster.with(config, faults: ["b": .down], options: Self.options(), state: try AlertStateStore(path: path)) { live in
            let again = await live.first(timeout: .seconds(30), where: { snapshot in snapshot.alerts.contains { $0.id == acked && $0.state == .firing } })
            let alert = try #require(again?.alerts.first { $0.id == acked })
            #expect(alert.acknowledgedBy == "alice" && alert.comment == "restarting b")
        }
        await webhook.stop()
    }

    /// The first run of the restart test: alerts fire, are acknowledged, and reach the webhook.
    static func fireAndAcknowledge(_ live: LiveCluster, path: String, webhook: RecordingServer) async throws -> String {
        let firing = try #require(await live.first(timeout: .seconds(30), where: { snapshot in
            snapshot.alerts.contains { $0.name == "NodeDown" && $0.state == .firing }
                && snapshot.alerts.contains { $0.name == "ServiceDown" && $0.state == .firing }
        }))
        let nodeDown = try #require(firing.alerts.first { $0.name == "NodeDown" })
        let serviceDown = try #require(firing.alerts.first { $0.name == "ServiceDown" })
        #expect(nodeDown.node == "b" && serviceDown.service == "b")
        #expect(serviceDown.rootCause == nodeDown.id, "the node being down explains its service")
        #expect(!firing.alerts.contains { $0.node == "a" })

        let done = try live.engine.acknowledge([nodeDown.id, serviceDown.id], by: "alice", comment: "restarting b")
        #expect(done.count == 2)
        // Shown at once, and only after it was stored.
        let shown = live.engine.store.latest.alerts.first { $0.id == nodeDown.id }
        #expect(shown?.acknowledgedBy == "alice" && shown?.comment == "restarting b")
        let stored = try AlertStateStore(path: path).load().acks[nodeDown.id]
        #expect(stored?.comment == "restarting b")

        let hook = await webhook.waitForRequest { $0.path == "/hook" && $0.body.contains("NodeDown") }
        let payload = Self.webhook(hook?.body ?? "")
        #expect(payload.version == "4" && payload.status == "firing")
        #expect(payload.alertNames.contains("NodeDown"))
        return nodeDown.id
    }

    @Test func aResolvedAlertClosesItsAckAndGoesToHistory() async throws {
        let path = AlertStateStoreTests.temporaryPath()
        try await LiveCluster.with(Self.cluster(), faults: ["b": .down], options: Self.options(), state: try AlertStateStore(path: path)) { live in
            let firing = try #require(await live.first(timeout: .seconds(30), where: { $0.alerts.contains { $0.name == "NodeDown" && $0.state == .firing } }))
            let alert = try #require(firing.alerts.first { $0.name == "NodeDown" })
            try live.engine.acknowledge([alert.id], by: "bob", comment: "known")
            try await live.simulator.heal("b")
            let healed = await live.first(timeout: .seconds(30), where: { $0.alertHistory.contains { $0.id == alert.id } })
            let entry = try #require(healed?.alertHistory.first { $0.id == alert.id })
            #expect(entry.state == .resolved && entry.acknowledgedBy == "bob" && entry.comment == "known")
            #expect(healed?.alerts.contains { $0.id == alert.id } == false)
        }
        let loaded = try AlertStateStore(path: path).load()
        #expect(loaded.acks.isEmpty, "an ack ends with its alert")
        #expect(loaded.history.contains { $0.acknowledgedBy == "bob" })
    }

    @Test func aSilenceMutesUntilItIsExpired() async throws {
        try await LiveCluster.with(Self.cluster(), faults: ["b": .down], options: Self.options()) { live in
            _ = try #require(await live.first(timeout: .seconds(30), where: { $0.alerts.contains { $0.name == "NodeDown" && $0.state == .firing } }))
            let silence = try live.engine.silence(matching: ["alertname": "NodeDown", "node": "b"], for: .seconds(3600), by: "carol", comment: "maintenance")
            let muted = live.engine.store.latest.alerts.first { $0.name == "NodeDown" }
            #expect(muted?.silencedBy == silence.id)
            #expect(live.engine.store.latest.alerts.first { $0.name == "ServiceDown" }?.silencedBy == nil, "matchers are exact")
            #expect(try live.engine.expireSilence(silence.id, by: "carol"))
            #expect(live.engine.store.latest.alerts.first { $0.name == "NodeDown" }?.silencedBy == nil)
        }
    }

    @Test func aWebhookThatHangsOrFailsNeverHoldsTheEngine() async throws {
        let hanging = try await RecordingServer.start(.hang)
        let failing = try await RecordingServer.start(.answer(status: 500))
        let config = Self.cluster(webhooks: [hanging.url + "/hook", failing.url + "/hook"])
        try await LiveCluster.with(config, faults: ["b": .down], options: Self.options(timeout: .milliseconds(300), attempts: 2)) { live in
            let firing = try #require(await live.first(timeout: .seconds(30), where: { $0.alerts.contains { $0.name == "NodeDown" && $0.state == .firing } }))
            // The engine goes on publishing and takes acks while the receivers hang and fail.
            let id = try #require(firing.alerts.first { $0.name == "NodeDown" }?.id)
            try live.engine.acknowledge([id], by: "dave", comment: "")
            let later = await live.first(timeout: .seconds(30), where: { $0.generation > firing.generation + 3 })
            #expect(later != nil)
            let deadline = ContinuousClock.now + .seconds(30)
            while live.engine.notifier.stats.failed < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            let stats = live.engine.notifier.stats
            #expect(stats.failed >= 2, "\(stats)")
            #expect(stats.lastError != nil)
            #expect(failing.requests.filter { $0.path == "/hook" }.count >= 2, "retried")
        }
        await hanging.stop()
        await failing.stop()
    }
}

/// A rule over a scraped counter's rate, read from the store of the nodes' past scrapes.
@Suite struct RateRuleTests {
    @Test func rateOfAScrapedCounterFiresWithItsValue() async throws {
        var config = TestCluster.make(nodes: ["a", "b"])
        for index in config.nodes.indices { config.nodes[index].metricsInterval = .milliseconds(300) }
        let rule = try AlertRule(name: "Traffic", expression: "sum by (node) (rate(http_requests_total[5s])) > 1", severity: .info,
                                 summary: "{{ $labels.node }} serves {{ $value | humanize }} requests/s")
        config.alerting = AlertingConfig(rules: [rule])
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(100)
        try await LiveCluster.with(config, options: options) { live in
            let firing = await live.first(timeout: .seconds(20), where: { $0.alerts.filter { $0.name == "Traffic" }.count == 2 })
            let alerts = try #require(firing?.alerts.filter { $0.name == "Traffic" })
            #expect(Set(alerts.compactMap(\.node)) == ["a", "b"])
            // The simulated nodes serve 20 to 200 requests a second (scrape timing on a loaded
            // machine moves the measured rate a little).
            #expect(alerts.allSatisfy { ($0.value ?? 0) > 5 && ($0.value ?? 0) < 1_000 }, "\(alerts.map(\.value))")
            #expect(alerts.allSatisfy { $0.summary.hasSuffix("requests/s") })
        }
    }
}
