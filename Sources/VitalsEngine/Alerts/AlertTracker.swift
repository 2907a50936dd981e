import Foundation
import VitalsCore

/// Alert states as a pure state machine, run on whatever clock the caller passes: each
/// evaluation of the rules moves alerts from pending to firing (after `for`), keeps them firing
/// (through `keep_firing_for`) and resolves them; acknowledgements and silences sit on top.
///
/// An alert is identified by the fingerprint of its labels (the rule's name among them). An
/// acknowledgement lasts until the alert resolves; when it fires again after that, it is a new
/// alert with no acknowledgement.
public struct AlertTracker: Sendable {
    /// Who acknowledged an alert, when, and why.
    public struct Ack: Sendable, Equatable, Codable {
        public var by: String
        public var at: Date
        public var comment: String

        public init(by: String, at: Date, comment: String) {
            self.by = by
            self.at = at
            self.comment = comment
        }
    }

    /// An alert whose condition holds (or held, within `keep_firing_for`).
    struct Active: Sendable, Equatable {
        var rule: Int
        var labels: AlertLabels
        var activeAt: Date
        var firedAt: Date?
        var lastTrue: Date
        var value: Double
        var detail: String?
    }

    /// A firing alert remembered from an earlier run, for continuity across a restart.
    public struct Restored: Sendable, Equatable {
        public var activeAt: Date
        public var firedAt: Date
        public var name: String
        public var severity: AlertSeverity
        public var labels: [String: String]

        public init(activeAt: Date, firedAt: Date, name: String = "?", severity: AlertSeverity = .warning, labels: [String: String] = [:]) {
            self.activeAt = activeAt
            self.firedAt = firedAt
            self.name = name
            self.severity = severity
            self.labels = labels
        }
    }

    /// What an evaluation changed, for persistence and notification.
    public struct Changes: Sendable, Equatable {
        public var fired: [AlertSnapshot] = []
        public var resolved: [AlertSnapshot] = []
        public var isEmpty: Bool { fired.isEmpty && resolved.isEmpty }
    }

    public static let historyKept = 200
    /// How long a silence stays listed after it ends.
    public static let expiredSilencesKept: TimeInterval = 3600

    public private(set) var rules: [AlertRule]
    private(set) var active: [String: Active] = [:]
    /// Acknowledgements by fingerprint, including ones for alerts not seen yet since a restart.
    public private(set) var acks: [String: Ack] = [:]
    public private(set) var silences: [SilenceSnapshot] = []
    /// Resolved alerts, newest first.
    public private(set) var history: [AlertSnapshot] = []
    private var restored: [String: Restored] = [:]
    /// When each service (or node, for node-wide alerts) began its current run of alerts: root
    /// cause compares these, so an alert that changes rule (degraded, then down) or restarts
    /// does not make its service look younger than the failures it caused.
    private(set) var incidentSince: [String: Date] = [:]

    public init(rules: [AlertRule], acks: [String: Ack] = [:], silences: [SilenceSnapshot] = [], history: [AlertSnapshot] = [], restored: [String: Restored] = [:]) {
        self.rules = rules
        self.acks = acks
        self.silences = silences
        self.history = Array(history.prefix(Self.historyKept))
        self.restored = restored
    }

    /// Takes a reloaded file's rules. Alerts of a rule that is still there (by name) carry on,
    /// with their acks and start times; those of a rule that is gone resolve now if they fired,
    /// and vanish if they were pending. A rule whose condition changed is judged afresh at the
    /// next evaluation.
    public mutating func replaceRules(_ newRules: [AlertRule], at now: Date) -> Changes {
        var changes = Changes()
        var index: [String: Int] = [:]
        for (position, rule) in newRules.enumerated() where index[rule.name] == nil { index[rule.name] = position }
        for (id, alert) in active {
            if let position = index[rules[alert.rule].name] {
                active[id]?.rule = position
            } else if alert.firedAt != nil {
                var entry = resolve(id, alert, at: now)
                entry.summary = "rule \(rules[alert.rule].name) removed by a reload"
                history[0] = entry
                changes.resolved.append(entry)
            } else {
                active[id] = nil
            }
        }
        rules = newRules
        return changes
    }

    /// Evaluates every rule against `source` at `now`.
    /// - Parameter damped: whether an alert with these labels is damped (a check beneath it
    ///   flaps): it neither starts nor fires nor resolves until the flapping stops, so a flapping
    ///   check makes one `CheckFlapping` alert instead of a firing and a resolution per change.
    public mutating func evaluate(_ source: some AlertSeriesSource, at now: Date, damped: (AlertLabels) -> Bool = { _ in false }) -> Changes {
        var changes = Changes()
        var seen = Set<String>()
        for (index, rule) in rules.enumerated() {
            guard case .vector(let samples) = rule.expression.evaluate(source) else { continue }
            for sample in samples {
                var labels = sample.labels
                for (key, value) in rule.labels { labels[key] = value }
                labels["alertname"] = rule.name
                let id = labels.fingerprint
                guard seen.insert(id).inserted else { continue }
                let held = rule.name != "CheckFlapping" && damped(labels)
                if var alert = active[id] {
                    alert.lastTrue = now
                    alert.value = sample.value
                    alert.detail = sample.detail
                    if alert.firedAt == nil, !held, now.timeIntervalSince(alert.activeAt) >= rule.forDuration.seconds {
                        alert.firedAt = now
                        changes.fired.append(snapshot(id, alert))
                    }
                    active[id] = alert
                } else if !held {
                    var alert = Active(rule: index, labels: labels, activeAt: now, lastTrue: now, value: sample.value, detail: sample.detail)
                    if let earlier = restored.removeValue(forKey: id) {
                        alert.activeAt = earlier.activeAt
                        alert.firedAt = earlier.firedAt
                    } else if rule.forDuration == .zero {
                        alert.firedAt = now
                        active[id] = alert
                        changes.fired.append(snapshot(id, alert))
                        continue
                    }
                    active[id] = alert
                }
            }
        }
        for (id, alert) in active where !seen.contains(id) {
            guard alert.firedAt != nil else {
                // A pending alert whose condition clears simply disappears.
                active[id] = nil
                continue
            }
            if now.timeIntervalSince(alert.lastTrue) < rules[alert.rule].keepFiringFor.seconds { continue }
            if rules[alert.rule].name != "CheckFlapping", damped(alert.labels) { continue }
            changes.resolved.append(resolve(id, alert, at: now))
        }
        silences.removeAll { now.timeIntervalSince($0.endsAt) > Self.expiredSilencesKept }
        var starts: [String: Date] = [:]
        for alert in active.values {
            let key = Self.incidentKey(service: alert.labels["service"], node: alert.labels["node"])
            starts[key] = min(starts[key] ?? alert.activeAt, alert.activeAt)
        }
        incidentSince = starts.reduce(into: [:]) { result, entry in
            result[entry.key] = min(incidentSince[entry.key] ?? entry.value, entry.value)
        }
        return changes
    }

    static func incidentKey(service: String?, node: String?) -> String {
        service.map { "service:\($0)" } ?? "node:\(node ?? "")"
    }

    /// Forgets alerts remembered from an earlier run that did not come back once every check has
    /// reported: they resolved while Vitals was not running, and their acks with them.
    public mutating func settle(at now: Date) -> Changes {
        var changes = Changes()
        for (id, earlier) in restored {
            let ack = acks.removeValue(forKey: id)
            let entry = AlertSnapshot(
                id: id, name: earlier.name, severity: earlier.severity, state: .resolved, node: earlier.labels["node"],
                service: earlier.labels["service"], since: earlier.activeAt, firedAt: earlier.firedAt, resolvedAt: now,
                acknowledgedBy: ack?.by, acknowledgedAt: ack?.at, comment: ack?.comment,
                summary: "resolved while Vitals was not running", labels: earlier.labels
            )
            changes.resolved.append(entry)
            history.insert(entry, at: 0)
        }
        restored.removeAll()
        if history.count > Self.historyKept { history.removeLast(history.count - Self.historyKept) }
        return changes
    }

    /// Puts an entry that is not one of the rules' alerts at the top of the history.
    public mutating func note(_ entry: AlertSnapshot) {
        history.insert(entry, at: 0)
        if history.count > Self.historyKept { history.removeLast() }
    }

    private mutating func resolve(_ id: String, _ alert: Active, at now: Date) -> AlertSnapshot {
        active[id] = nil
        var entry = snapshot(id, alert)
        entry.state = .resolved
        entry.resolvedAt = now
        entry.silencedBy = nil
        acks[id] = nil
        history.insert(entry, at: 0)
        if history.count > Self.historyKept { history.removeLast() }
        return entry
    }

    /// Records an acknowledgement of each alert in `ids` that is pending or firing (or remembered
    /// from an earlier run); returns the ids acknowledged.
    @discardableResult
    public mutating func acknowledge(_ ids: [String], _ ack: Ack) -> [String] {
        let known = ids.filter { active[$0] != nil || restored[$0] != nil }
        for id in known { acks[id] = ack }
        return known
    }

    /// Removes the acknowledgement of each alert in `ids`; returns the ids that had one.
    @discardableResult
    public mutating func unacknowledge(_ ids: [String]) -> [String] {
        ids.filter { acks.removeValue(forKey: $0) != nil }
    }

    public mutating func addSilence(_ silence: SilenceSnapshot) {
        silences.removeAll { $0.id == silence.id }
        silences.append(silence)
    }

    /// Ends silence `id` at `now`; false when there is no such active silence.
    public mutating func expireSilence(_ id: String, at now: Date) -> Bool {
        guard let index = silences.firstIndex(where: { $0.id == id && $0.isActive(at: now) }) else { return false }
        silences[index].endsAt = now
        return true
    }

    /// The alert `id` as it stands, if it is pending or firing.
    public func alert(_ id: String, at now: Date) -> AlertSnapshot? {
        active[id].map { decorate(snapshot(id, $0), at: now) }
    }

    /// Every pending and firing alert, worst first (severity, then firing before pending, then
    /// oldest first), with acks, silences and root causes applied.
    public func alerts(at now: Date, dependencies: ServiceDependencies) -> [AlertSnapshot] {
        var list = active.map { decorate(snapshot($0.key, $0.value), at: now) }
        let starts = incidentSince
        let roots = RootCause.find(in: list, dependencies: dependencies) { alert in
            starts[Self.incidentKey(service: alert.service, node: alert.node)] ?? alert.since
        }
        for index in list.indices { list[index].rootCause = roots[list[index].id] }
        return list.sorted { a, b in
            if a.severity != b.severity { return a.severity > b.severity }
            if a.state != b.state { return a.state == .firing }
            if a.since != b.since { return a.since < b.since }
            return a.id < b.id
        }
    }

    private func decorate(_ alert: AlertSnapshot, at now: Date) -> AlertSnapshot {
        var result = alert
        if let ack = acks[alert.id] {
            result.acknowledgedBy = ack.by
            result.acknowledgedAt = ack.at
            result.comment = ack.comment
        }
        result.silencedBy = silences.first { $0.isActive(at: now) && $0.matches(alert.labels) }?.id
        return result
    }

    private func snapshot(_ id: String, _ alert: Active) -> AlertSnapshot {
        let rule = rules[alert.rule]
        let ack = acks[id]
        return AlertSnapshot(
            id: id, name: rule.name, severity: rule.severity, state: alert.firedAt == nil ? .pending : .firing,
            node: alert.labels["node"], service: alert.labels["service"], since: alert.activeAt, firedAt: alert.firedAt,
            acknowledgedBy: ack?.by, acknowledgedAt: ack?.at, comment: ack?.comment,
            summary: rule.summary.render(labels: alert.labels, value: alert.value, output: alert.detail).sanitizedForTerminal,
            labels: alert.labels.dictionary, value: alert.value
        )
    }
}
