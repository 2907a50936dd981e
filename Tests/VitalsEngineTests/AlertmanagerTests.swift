import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsTesting

/// Vitals against a real Alertmanager: alerts it forwards show in `amtool alert query`, an ack
/// shows as a silence with its comment in `amtool silence query`, and an un-ack removes it.
@Suite(.serialized, .enabled(if: RealAlertmanager.isAvailable))
struct AlertmanagerTests {
    @Test func alertsArriveAndAnAckBecomesASilence() async throws {
        let alertmanager = try RealAlertmanager()
        defer { alertmanager.stop() }
        let config = AlertEngineTests.cluster(alertmanager: alertmanager.url)
        try await LiveCluster.with(config, faults: ["b": .down], options: AlertEngineTests.options()) { live in
            try await Self.check(live, alertmanager)
        }
    }

    static func check(_ live: LiveCluster, _ alertmanager: RealAlertmanager) async throws {
        let firing = try #require(await live.first(timeout: .seconds(30), where: { $0.alerts.contains { $0.name == "NodeDown" && $0.state == .firing } }))
        let nodeDown = try #require(firing.alerts.first { $0.name == "NodeDown" })

        let alerts = try alertmanager.waitFor(["alert", "query"]) { $0.contains("\"NodeDown\"") }
        let received = Self.objects(alerts)
        let forwarded = try #require(received.first { ($0["labels"] as? [String: String])?["alertname"] == "NodeDown" })
        #expect((forwarded["labels"] as? [String: String])?["node"] == "b")
        #expect((forwarded["labels"] as? [String: String])?["severity"] == "critical")
        #expect((forwarded["annotations"] as? [String: String])?["vitals_id"] == nodeDown.id)

        try live.engine.acknowledge([nodeDown.id], by: "alice", comment: "disk replaced, rebooting b")
        let silences = try alertmanager.waitFor(["silence", "query"]) { $0.contains("disk replaced") }
        let silence = try #require(Self.objects(silences).first { ($0["comment"] as? String)?.contains("disk replaced, rebooting b") == true })
        #expect(silence["createdBy"] as? String == "alice")
        let matchers = (silence["matchers"] as? [[String: Any]] ?? []).compactMap { m -> String? in
            guard let name = m["name"] as? String, let value = m["value"] as? String else { return nil }
            return "\(name)=\(value)"
        }
        #expect(Set(matchers) == ["alertname=NodeDown", "node=b"])

        try live.engine.unacknowledge([nodeDown.id], by: "alice")
        let after = try alertmanager.waitFor(["silence", "query"]) { !$0.contains("disk replaced") }
        #expect(!after.contains("disk replaced"), "an un-ack expires the silence (query lists active silences only)")
    }

    static func objects(_ json: String) -> [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [[String: Any]] ?? []
    }
}
