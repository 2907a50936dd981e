import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsTesting

/// A series source a test sets by hand.
struct HandSeries: AlertSeriesSource {
    var series: [String: [AlertSample]] = [:]

    func samples(named name: String) -> [AlertSample] { series[name] ?? [] }

    static func cpu(_ values: [String: Double]) -> HandSeries {
        HandSeries(series: ["node_cpu": values.map { AlertSample(labels: AlertLabels(["node": $0.key]), value: $0.value) }])
    }
}

/// The alert state machine step by step on a test clock: no engine, no sleeping.
@Suite struct AlertTrackerTests {
    let t0 = Fixtures.time

    func rule(for seconds: Int = 60, keep: Int = 0) throws -> AlertRule {
        try AlertRule(
            name: "HighCPU", expression: "node_cpu > 0.9", forDuration: .seconds(seconds), keepFiringFor: .seconds(keep),
            severity: .critical, summary: "{{ $labels.node }} at {{ $value | humanizePercentage }}"
        )
    }

    func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    @Test func pendingTurnsFiringAfterForThenResolves() throws {
        var tracker = AlertTracker(rules: [try rule()])
        var changes = tracker.evaluate(HandSeries.cpu(["web-1": 0.95]), at: at(0))
        #expect(changes.isEmpty)
        #expect(tracker.alerts(at: at(0), dependencies: .init(ClusterConfig(name: "x", nodes: []))).map(\.state) == [.pending])
        changes = tracker.evaluate(HandSeries.cpu(["web-1": 0.97]), at: at(59))
        #expect(changes.isEmpty)
        changes = tracker.evaluate(HandSeries.cpu(["web-1": 0.97]), at: at(60))
        #expect(changes.fired.map(\.name) == ["HighCPU"])
        let firing = try #require(tracker.alerts(at: at(60), dependencies: .init(ClusterConfig(name: "x", nodes: []))).first)
        #expect(firing.state == .firing)
        #expect(firing.since == at(0))
        #expect(firing.summary == "web-1 at 97%")
        changes = tracker.evaluate(HandSeries.cpu(["web-1": 0.5]), at: at(70))
        #expect(changes.resolved.map(\.id) == [firing.id])
        #expect(changes.resolved.first?.resolvedAt == at(70))
        #expect(tracker.history.first?.state == .resolved)
    }

    @Test func alertsAboveAFlappingCheckNeitherFireNorResolveWhileItFlaps() throws {
        var tracker = AlertTracker(rules: [try rule(for: 0)])
        let flapping: (AlertLabels) -> Bool = { $0["node"] == "web-1" }
        // Damped: a true condition starts nothing.
        var changes = tracker.evaluate(HandSeries.cpu(["web-1": 0.95, "web-2": 0.95]), at: at(0), damped: flapping)
        #expect(changes.fired.map { $0.labels["node"] } == ["web-2"])
        // Not damped any more: it fires; then flapping again, the clear does not resolve it.
        changes = tracker.evaluate(HandSeries.cpu(["web-1": 0.95, "web-2": 0.95]), at: at(10))
        #expect(changes.fired.map { $0.labels["node"] } == ["web-1"])
        changes = tracker.evaluate(HandSeries.cpu([:]), at: at(20), damped: flapping)
        #expect(changes.resolved.map { $0.labels["node"] } == ["web-2"])
        changes = tracker.evaluate(HandSeries.cpu([:]), at: at(30))
        #expect(changes.resolved.map { $0.labels["node"] } == ["web-1"], "resolved once the flapping stops")
        // Which alerts sit above which flapping check.
        let places: [(node: String, service: String?)] = [("db-1", "postgres"), ("web-1", nil)]
        #expect(AlertState.isDamped(AlertLabels(["node": "db-1"]), flapping: places))
        #expect(AlertState.isDamped(AlertLabels(["node": "db-1", "service": "postgres"]), flapping: places))
        #expect(AlertState.isDamped(AlertLabels(["service": "postgres"]), flapping: places))
        #expect(!AlertState.isDamped(AlertLabels(["node": "db-1", "service": "pgbouncer"]), flapping: places))
        #expect(!AlertState.isDamped(AlertLabels(["node": "web-1", "service": "nginx"]), flapping: places))
        #expect(!AlertState.isDamped(AlertLabels(["alertname": "x"]), flapping: places))
    }

    @Test func aPendingAlertWhoseConditionClearsSimplyDisappears() throws {
        var tracker = AlertTracker(rules: [try rule()])
        _ = tracker.evaluate(HandSeries.cpu(["web-1": 0.95]), at: at(0))
        let changes = tracker.evaluate(HandSeries.cpu(["web-1": 0.2]), at: at(30))
        #expect(changes.isEmpty)
        #expect(tracker.history.isEmpty)
        #expect(tracker.alerts(at: at(30), dependencies: .init(ClusterConfig(name: "x", nodes: []))).isEmpty)
    }

    @Test func keepFiringForHoldsAFiringAlertThroughABriefClear() throws {
        var tracker = AlertTracker(rules: [try rule(for: 0, keep: 30)])
        let steps = [(1.0, 0.0), (0, 20), (1, 25), (0, 50), (0, 56)].map { value, time in
            tracker.evaluate(HandSeries.cpu(["a": value]), at: at(time))
        }
        #expect(steps[0].fired.count == 1)
        #expect(steps[1].isEmpty && steps[2].isEmpty, "still the same alert")
        #expect(steps[3].isEmpty, "30 s after the condition last held: not yet")
        #expect(steps[4].resolved.count == 1)
    }

    @Test func anAckLastsUntilResolveAndFiringAgainIsANewAlert() throws {
        var tracker = AlertTracker(rules: [try rule(for: 0)])
        let fired = try #require(tracker.evaluate(HandSeries.cpu(["a": 1]), at: at(0)).fired.first)
        let ack = AlertTracker.Ack(by: "alice", at: at(5), comment: "on it")
        let acked = tracker.acknowledge([fired.id, "no-such-alert"], ack)
        #expect(acked == [fired.id])
        #expect(tracker.alert(fired.id, at: at(6))?.acknowledgedBy == "alice")
        let resolved = try #require(tracker.evaluate(HandSeries.cpu(["a": 0]), at: at(10)).resolved.first)
        #expect(resolved.acknowledgedBy == "alice" && resolved.comment == "on it", "the history keeps the ack")
        let again = try #require(tracker.evaluate(HandSeries.cpu(["a": 1]), at: at(20)).fired.first)
        #expect(again.id == fired.id, "same labels, same fingerprint")
        #expect(again.acknowledgedBy == nil, "a new alert: the old ack ended with the old alert")
    }

    @Test func unackRemovesTheAck() throws {
        var tracker = AlertTracker(rules: [try rule(for: 0)])
        let fired = try #require(tracker.evaluate(HandSeries.cpu(["a": 1]), at: at(0)).fired.first)
        tracker.acknowledge([fired.id], AlertTracker.Ack(by: "bob", at: at(1), comment: ""))
        let removed = tracker.unacknowledge([fired.id])
        #expect(removed == [fired.id])
        #expect(tracker.alert(fired.id, at: at(2))?.isAcknowledged == false)
    }

    @Test func silencesMatchLabelsAndExpire() throws {
        var tracker = AlertTracker(rules: [try rule(for: 0)])
        _ = tracker.evaluate(HandSeries.cpu(["a": 1, "b": 1]), at: at(0))
        let silence = SilenceSnapshot(id: "s1", matchers: ["alertname": "HighCPU", "node": "a"], startsAt: at(0), endsAt: at(3600), createdBy: "alice", comment: "deploy")
        tracker.addSilence(silence)
        let deps = ServiceDependencies(ClusterConfig(name: "x", nodes: []))
        let alerts = tracker.alerts(at: at(10), dependencies: deps)
        #expect(alerts.first { $0.node == "a" }?.silencedBy == "s1")
        #expect(alerts.first { $0.node == "b" }?.silencedBy == nil)
        #expect(tracker.alerts(at: at(3600), dependencies: deps).allSatisfy { $0.silencedBy == nil }, "ends at endsAt")
    }

    @Test func expiringASilenceUnmutesAtOnce() throws {
        var tracker = AlertTracker(rules: [try rule(for: 0)])
        _ = tracker.evaluate(HandSeries.cpu(["a": 1]), at: at(0))
        tracker.addSilence(SilenceSnapshot(id: "s1", matchers: ["node": "a"], startsAt: at(0), endsAt: at(3600), createdBy: "x", comment: ""))
        let ended = tracker.expireSilence("s1", at: at(20))
        #expect(ended)
        let deps = ServiceDependencies(ClusterConfig(name: "x", nodes: []))
        #expect(tracker.alerts(at: at(21), dependencies: deps).first?.silencedBy == nil)
        let again = tracker.expireSilence("s1", at: at(22))
        #expect(!again, "an ended silence cannot end again")
    }

    @Test func fingerprintIsStableAcrossRunsAndOrderOfLabels() {
        let a = AlertLabels(["alertname": "ServiceDown", "node": "orders-1", "service": "orders"])
        var b = AlertLabels(["service": "orders"])
        b["node"] = "orders-1"
        b["alertname"] = "ServiceDown"
        #expect(a.fingerprint == b.fingerprint)
        // Pinned: a restarted Vitals (or another machine) must compute the same id.
        #expect(a.fingerprint == "3b1d959b211a578e")
        #expect(a.fingerprint != AlertLabels(["alertname": "ServiceDown", "node": "orders-2", "service": "orders"]).fingerprint)
    }

    @Test func restoredFiringAlertKeepsItsSinceAndAckAfterARestart() throws {
        let id = AlertLabels(["alertname": "HighCPU", "node": "a"]).fingerprint
        let ack = AlertTracker.Ack(by: "alice", at: at(-100), comment: "known")
        var tracker = AlertTracker(
            rules: [try rule()], acks: [id: ack], restored: [id: AlertTracker.Restored(activeAt: at(-300), firedAt: at(-240))]
        )
        let changes = tracker.evaluate(HandSeries.cpu(["a": 1]), at: at(0))
        #expect(changes.isEmpty, "it was firing before the restart: no new firing")
        let alert = try #require(tracker.alert(id, at: at(0)))
        #expect(alert.state == .firing && alert.since == at(-300) && alert.acknowledgedBy == "alice")
    }

    @Test func rememberedAlertsThatDoNotComeBackAreClosedWithTheirAcks() throws {
        let id = AlertLabels(["alertname": "HighCPU", "node": "a"]).fingerprint
        var tracker = AlertTracker(
            rules: [try rule()], acks: [id: AlertTracker.Ack(by: "alice", at: at(-100), comment: "known")],
            restored: [id: AlertTracker.Restored(activeAt: at(-300), firedAt: at(-240), name: "HighCPU", severity: .critical, labels: ["node": "a"])]
        )
        _ = tracker.evaluate(HandSeries.cpu(["a": 0.1]), at: at(0))
        let settled = tracker.settle(at: at(5))
        #expect(settled.resolved.map(\.id) == [id])
        #expect(settled.resolved.first?.comment == "known")
        #expect(tracker.history.first?.id == id, "shown in the history too")
        #expect(tracker.acks.isEmpty)
        #expect(settled.resolved.first?.name == "HighCPU" && settled.resolved.first?.node == "a")
    }

    @Test func divisionByZeroAndNaNNeverFireOrCrash() throws {
        var tracker = AlertTracker(rules: [
            try AlertRule(name: "Ratio", expression: "node_cpu / 0 > 1"),
            try AlertRule(name: "NaN", expression: "(node_cpu - node_cpu) / 0 > 0"),
        ])
        let changes = tracker.evaluate(HandSeries.cpu(["a": 0.5, "b": 0]), at: at(0))
        // 0.5/0 = +Inf > 1 fires (as in Prometheus); 0/0 = NaN compares false.
        #expect(changes.fired.map(\.name) == ["Ratio"])
        #expect(changes.fired.first?.node == "a")
    }
}
