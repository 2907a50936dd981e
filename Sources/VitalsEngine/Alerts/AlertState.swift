import Foundation
import VitalsCore

/// The alert part of a snapshot.
struct AlertSection: Sendable, Equatable {
    var alerts: [AlertSnapshot] = []
    var silences: [SilenceSnapshot] = []
    var history: [AlertSnapshot] = []
}

/// The engine's alert state, under a lock of its own: rules are evaluated on the publish task,
/// away from the lock that probes record their results under, so a fleet's thousands of alerts
/// never delay a probe.
struct AlertState: Sendable {
    var tracker: AlertTracker
    let dependencies: ServiceDependencies
    /// The alert part of the last published snapshot.
    var section = AlertSection()
    /// Set by a person's action (ack, silence…) so the next publish shows it.
    var changedByPerson = false
    var nextEvaluation = Date.distantPast
    /// Whether alerts remembered from an earlier run have been matched against fresh results.
    var settled = false
    let startedAt: Date

    /// How often alert rules are evaluated.
    static let evaluationInterval: TimeInterval = 1
    /// How long after start alerts remembered from an earlier run wait to come back.
    static let settleWithin: TimeInterval = 120

    init(tracker: AlertTracker, config: ClusterConfig, time: Date) {
        self.tracker = tracker
        dependencies = ServiceDependencies(config)
        startedAt = time
    }

    /// The alert state of the engine a reload replaces, with `config`'s rules and dependencies.
    /// - Returns: it, and the alerts that resolved because their rule is gone.
    static func reloading(_ old: AlertState, config: ClusterConfig, time: Date) -> (AlertState, AlertTracker.Changes) {
        var tracker = old.tracker
        let changes = tracker.replaceRules(config.alerting.rules, at: time)
        var state = AlertState(tracker: tracker, config: config, time: old.startedAt)
        state.section = old.section
        state.settled = old.settled
        state.changedByPerson = true  // published again at once, under the new dependencies
        return (state, changes)
    }

    /// Where checks flap now: (node, service) for service checks, (node, nil) for a node's own.
    static func flapping(in snapshot: ClusterSnapshot) -> [(node: String, service: String?)] {
        var result: [(node: String, service: String?)] = []
        for node in snapshot.nodes where node.checks.contains(where: { $0.flapping != nil }) { result.append((node.name, nil)) }
        for service in snapshot.services where service.checks.contains(where: { $0.flapping != nil }) { result.append((service.node, service.name)) }
        return result
    }

    /// Whether an alert with `labels` sits above a flapping check: same node (when it names one)
    /// and same service (when it names one).
    static func isDamped(_ labels: AlertLabels, flapping: [(node: String, service: String?)]) -> Bool {
        let node = labels["node"], service = labels["service"]
        guard node != nil || service != nil else { return false }
        return flapping.contains { place in
            (node == nil || node == place.node) && (service == nil || service == place.service)
        }
    }

    /// Evaluates the rules against `snapshot` when due (every `evaluationInterval`), and rebuilds
    /// the section when anything may have changed. Returns the section, whether it differs from
    /// the one last published, and the alerts that fired or resolved.
    mutating func step(
        _ snapshot: ClusterSnapshot, scraped: () -> [String: [AlertSample]] = { [:] },
        ranges: @escaping (String, String, Duration) -> [AlertSample] = { _, _, _ in [] }, time: Date, force: Bool
    ) -> (section: AlertSection, changed: Bool, changes: AlertTracker.Changes) {
        var changes = AlertTracker.Changes()
        let evaluate = time >= nextEvaluation
        if evaluate {
            nextEvaluation = time.addingTimeInterval(Self.evaluationInterval)
            let samples = scraped()
            let flapping = Self.flapping(in: snapshot)
            changes = tracker.evaluate(SnapshotSeries(snapshot, scraped: { samples[$0] ?? [] }, ranges: ranges), at: time) { labels in
                !flapping.isEmpty && Self.isDamped(labels, flapping: flapping)
            }
            if !settled, snapshot.everyCheckHasResult || time.timeIntervalSince(startedAt) > Self.settleWithin {
                settled = true
                changes.resolved += tracker.settle(at: time).resolved
            }
        }
        guard evaluate || changedByPerson || force else { return (section, false, changes) }
        changedByPerson = false
        let next = AlertSection(alerts: tracker.alerts(at: time, dependencies: dependencies), silences: tracker.silences, history: tracker.history)
        let changed = next != section
        section = next
        return (next, changed, changes)
    }
}
