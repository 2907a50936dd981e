import Foundation
import VitalsCore

/// The engine's mutable state, kept under one lock: the facts, what changed since the last
/// publish, and the builder that turns the changes into the next snapshot.
struct EngineState: Sendable {
    var facts: EngineFacts
    var builder: SnapshotBuilder
    var readings: [NodeMetricsReading?]
    var dirtyChecks = Set<Int>()
    var dirtyNodes = Set<Int>()
    var generation: UInt64 = 0
    var focusedNode: Int?

    var alerts: AlertTracker
    let dependencies: ServiceDependencies
    /// The alert part of the last published snapshot.
    var alertSection = AlertSection()
    /// The newest lock facts from the watchers, and the locks last published.
    var lockFacts: [(lock: LockSnapshot, context: LockDiagnosis.Context)] = []
    var lockSection: [LockSnapshot] = []
    /// Set by a person's action (ack, silence…) so the next publish shows it.
    var alertsChanged = false
    var nextAlertEvaluation = Date.distantPast
    /// Whether alerts remembered from an earlier run have been matched against fresh results.
    var settled = false
    let startedAt: Date
    /// Alerts that fired or resolved and are not yet persisted and sent.
    var unsentChanges = AlertTracker.Changes()
    /// The newest samples of scraped series that alert rules name, by node.
    var scraped: [[String: [AlertSample]]]
    let scrapedNames: Set<String>

    /// How often alert rules are evaluated.
    static let alertEvaluationInterval: TimeInterval = 1
    /// How long after start alerts remembered from an earlier run wait to come back.
    static let settleWithin: TimeInterval = 120

    init(config: ClusterConfig, layout: ClusterLayout, time: Date, alerts: AlertTracker? = nil) {
        facts = EngineFacts(layout: layout, nodeCount: config.nodes.count)
        builder = SnapshotBuilder(config: config, layout: layout, facts: facts, generation: 0, time: time)
        readings = Array(repeating: nil, count: config.nodes.count)
        self.alerts = alerts ?? AlertTracker(rules: config.alerting.rules)
        dependencies = ServiceDependencies(config)
        startedAt = time
        scraped = Array(repeating: [:], count: config.nodes.count)
        let known = Set(SnapshotSeries.names)
        scrapedNames = Set(config.alerting.rules.flatMap(\.expression.names)).subtracting(known)
    }

    mutating func record(check: Int, outcome: ProbeOutcome, at time: Date) {
        facts.checks[check].record(outcome, at: time)
        dirtyChecks.insert(check)
    }

    mutating func recordScrape(node: Int, result: Result<[MetricSample], any Error>, at time: Date) {
        switch result {
        case .success(let samples):
            let reading = NodeMetricsReading(samples: samples, time: time)
            facts.metrics[node] = reading.metrics(since: readings[node])
            readings[node] = reading
            if !scrapedNames.isEmpty { keepScraped(node: node, samples: samples) }
        case .failure(let error):
            // The last good numbers stay; the reason the newest scrape failed is added to them.
            facts.metrics[node].scrapeError = String(describing: error).sanitizedForTerminal
        }
        dirtyNodes.insert(node)
    }

    mutating func recordLogs(node: Int, lines: [String]) {
        guard facts.logs[node] != lines else { return }
        facts.logs[node] = lines
        dirtyNodes.insert(node)
    }

    /// The next snapshot when anything changed (or `force`), else nil. Alert rules are evaluated
    /// once every `alertEvaluationInterval`; the alerts' changes wait in `unsentChanges`.
    /// `locks`, when given, are new facts from the lock watchers.
    mutating func publish(time: Date, force: Bool, locks: [(lock: LockSnapshot, context: LockDiagnosis.Context)]? = nil) -> ClusterSnapshot? {
        let factsChanged = !dirtyChecks.isEmpty || !dirtyNodes.isEmpty
        let evaluate = time >= nextAlertEvaluation
        guard force || factsChanged || evaluate || alertsChanged || locks != nil else { return nil }
        var snapshot = builder.apply(dirtyChecks: dirtyChecks, dirtyNodes: dirtyNodes, facts: facts, generation: generation + 1, time: time)
        dirtyChecks.removeAll(keepingCapacity: true)
        dirtyNodes.removeAll(keepingCapacity: true)
        if let locks { lockFacts = locks }
        var lockSection = self.lockSection
        if locks != nil || factsChanged, !lockFacts.isEmpty {
            // A lock's diagnosis depends on its holder's node: recomputed when either changes.
            var statuses: [String: Status] = [:]
            for node in snapshot.nodes { statuses[node.name] = node.status }
            lockSection = lockFacts.map { LockDiagnosis.apply($0.lock, context: $0.context, nodeStatus: { statuses[$0] }, now: time) }
        }
        snapshot.locks = lockSection
        var section = alertSection
        if evaluate {
            nextAlertEvaluation = time.addingTimeInterval(Self.alertEvaluationInterval)
            let scraped = self.scraped
            let changes = alerts.evaluate(SnapshotSeries(snapshot) { name in scraped.flatMap { $0[name] ?? [] } }, at: time)
            unsentChanges.fired += changes.fired
            unsentChanges.resolved += changes.resolved
            if !settled, snapshot.everyCheckHasResult || time.timeIntervalSince(startedAt) > Self.settleWithin {
                settled = true
                unsentChanges.resolved += alerts.settle(at: time).resolved
            }
        }
        if evaluate || alertsChanged || force {
            section = AlertSection(alerts: alerts.alerts(at: time, dependencies: dependencies), silences: alerts.silences, history: alerts.history)
        }
        guard force || factsChanged || section != alertSection || lockSection != self.lockSection else { return nil }
        alertSection = section
        self.lockSection = lockSection
        alertsChanged = false
        generation += 1
        snapshot.alerts = section.alerts
        snapshot.silences = section.silences
        snapshot.alertHistory = section.history
        return snapshot
    }

    /// Hands over the alert changes not yet persisted and sent.
    mutating func takeAlertChanges() -> AlertTracker.Changes {
        defer { unsentChanges = AlertTracker.Changes() }
        return unsentChanges
    }

    private mutating func keepScraped(node: Int, samples: [MetricSample]) {
        let name = builder.config.nodes[node].name
        var kept: [String: [AlertSample]] = [:]
        for sample in samples where scrapedNames.contains(sample.name) {
            var labels = AlertLabels(sample.labels)
            labels["node"] = name
            kept[sample.name, default: []].append(AlertSample(labels: labels, value: sample.value))
        }
        scraped[node] = kept
    }
}

/// The alert part of a snapshot.
struct AlertSection: Sendable, Equatable {
    var alerts: [AlertSnapshot] = []
    var silences: [SilenceSnapshot] = []
    var history: [AlertSnapshot] = []
}
