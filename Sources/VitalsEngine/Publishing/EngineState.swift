import Foundation
import VitalsCore
import VitalsLogFormats

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

    /// The newest lock facts from the watchers, and the locks last published.
    var lockFacts: [(lock: LockSnapshot, context: LockDiagnosis.Context)] = []
    var lockSection: [LockSnapshot] = []
    /// The newest samples of scraped series that alert rules name, by node.
    var scraped: [[String: [AlertSample]]]
    let scrapedNames: Set<String>

    init(config: ClusterConfig, layout: ClusterLayout, time: Date) {
        let breakers = config.nodes.enumerated().map { index, node in
            node.breaker.map { config in
                let checks = layout.checksOfNode[index].count + layout.servicesOfNode[index].reduce(0) { $0 + layout.checksOfService[$1].count }
                return CircuitBreaker(rounds: config.rounds, retryEvery: config.retryEvery, checks: checks)
            }
        }
        facts = EngineFacts(layout: layout, nodeCount: config.nodes.count, breakers: breakers)
        nodeOfCheck = layout.places.map { place in
            switch place {
            case .node(let node, _): node
            case .service(let service, _): layout.nodeOfService[service]
            }
        }
        builder = SnapshotBuilder(config: config, layout: layout, facts: facts, generation: 0, time: time)
        readings = Array(repeating: nil, count: config.nodes.count)
        scraped = Array(repeating: [:], count: config.nodes.count)
        let known = Set(SnapshotSeries.names)
        scrapedNames = Set(config.alerting.rules.flatMap(\.expression.names)).subtracting(known)
    }

    /// The node each check belongs to, by check number.
    let nodeOfCheck: [Int]

    /// What a reload keeps: takes over from `old` (the state of the engine this one replaces)
    /// every check that is still there by node, service and name (one whose settings changed
    /// keeps its status and history until its next result, judged by its new thresholds), each remaining node's
    /// metrics, history and recent lines (metrics only while its metrics URL is the same), its
    /// breaker when its settings and checks are, and maintenance by name; the snapshot numbering
    /// goes on from `old`'s.
    /// - Returns: how many checks were kept as they were, kept with new settings, added and removed.
    @discardableResult
    mutating func adopt(_ old: EngineState, time: Date) -> (kept: Int, changed: Int, added: Int, removed: Int) {
        let config = builder.config, layout = builder.layout
        let oldConfig = old.builder.config, oldLayout = old.builder.layout
        var oldChecks: [CheckID: Int] = [:]
        for (index, id) in oldLayout.checkIDs.enumerated() { oldChecks[id] = index }
        var kept = 0, changed = 0
        for (index, id) in layout.checkIDs.enumerated() {
            guard let was = oldChecks[id] else { continue }
            if oldLayout.checkConfigs[was] == layout.checkConfigs[index] {
                facts.checks[index] = old.facts.checks[was]
                kept += 1
            } else {
                facts.checks[index] = old.facts.checks[was].rethresholded(for: layout.checkConfigs[index])
                changed += 1
            }
        }
        var oldNodes: [String: Int] = [:]
        for (index, node) in oldConfig.nodes.enumerated() { oldNodes[node.name] = index }
        for (index, node) in config.nodes.enumerated() {
            guard let was = oldNodes[node.name] else { continue }
            let before = oldConfig.nodes[was]
            facts.history[index] = old.facts.history[was]
            facts.logs[index] = old.facts.logs[was]
            if before.metricsURL == node.metricsURL {
                facts.metrics[index] = old.facts.metrics[was]
                readings[index] = old.readings[was]
                if !scrapedNames.isEmpty { scraped[index] = old.scraped[was] }
            }
            if before.breaker == node.breaker, layout.allChecks(ofNode: index).map({ layout.checkIDs[$0] }) == oldLayout.allChecks(ofNode: was).map({ oldLayout.checkIDs[$0] }) {
                facts.breakers[index] = old.facts.breakers[was]
            }
        }
        for maintenance in old.maintenances { setMaintenance(node: maintenance.node, service: maintenance.service, maintenance) }
        // The locks as last seen, until the new watchers' first reading replaces them all.
        lockFacts = old.lockFacts
        lockSection = old.lockSection
        focusedNode = old.focusedNode.flatMap { was in config.nodes.firstIndex { $0.name == oldConfig.nodes[was].name } }
        generation = old.generation + 1
        builder = SnapshotBuilder(config: config, layout: layout, facts: facts, generation: generation, time: time)
        dirtyChecks.removeAll()
        dirtyNodes.removeAll()
        return (kept, changed, layout.checkIDs.count - kept - changed, oldLayout.checkIDs.count - kept - changed)
    }

    /// Puts a node (or one of its service instances) in maintenance, or (nil) takes it out.
    /// - Returns: false when there is no such node or service.
    @discardableResult
    mutating func setMaintenance(node: String, service: String?, _ maintenance: Maintenance?) -> Bool {
        let nodes = builder.config.nodes
        guard let nodeIndex = nodes.firstIndex(where: { $0.name == node }) else { return false }
        if let service {
            guard let offset = nodes[nodeIndex].services.firstIndex(where: { $0.name == service }) else { return false }
            let serviceIndex = builder.layout.servicesOfNode[nodeIndex][offset]
            facts.serviceMaintenance[serviceIndex] = maintenance
        } else {
            facts.nodeMaintenance[nodeIndex] = maintenance
        }
        dirtyNodes.insert(nodeIndex)
        return true
    }

    /// Every maintenance in force.
    var maintenances: [Maintenance] { Array(facts.nodeMaintenance.values) + Array(facts.serviceMaintenance.values) }

    /// Ends the maintenances whose time is up; returns them.
    mutating func expireMaintenance(at time: Date) -> [Maintenance] {
        let ended = maintenances.filter { $0.until.map { $0 <= time } ?? false }
        for maintenance in ended { setMaintenance(node: maintenance.node, service: maintenance.service, nil) }
        return ended
    }

    mutating func record(check: Int, outcome: ProbeOutcome, at time: Date) {
        facts.checks[check].record(outcome, at: time)
        dirtyChecks.insert(check)
        let node = nodeOfCheck[check]
        if facts.breakers[node]?.record(passed: outcome.status == .passing, at: time) == true { dirtyNodes.insert(node) }
    }

    /// Whether check `check` may run at `time`: false while its node's breaker is open and its
    /// next try has not come.
    mutating func breakerAllows(check: Int, at time: Date) -> Bool {
        let node = nodeOfCheck[check]
        guard facts.breakers[node] != nil else { return true }
        let before = facts.breakers[node]?.nextTry
        let allowed = facts.breakers[node]?.allows(at: time) ?? true
        if facts.breakers[node]?.nextTry != before { dirtyNodes.insert(node) }
        return allowed
    }

    /// Takes one scrape's outcome; a failed scrape keeps the last good numbers and says why.
    mutating func recordScrape(node: Int, outcome: Result<Scraper.Outcome, any Error>, at time: Date? = nil) {
        switch outcome {
        case .success(let good):
            var metrics = good.reading.metrics(since: readings[node])
            metrics.scrapeDurationMs = good.stats.duration.milliseconds
            metrics.scrapedAt = time
            metrics.scrapeSamples = good.stats.samples
            metrics.storedSeries = good.store?.series
            metrics.storedSamples = good.store?.samples
            metrics.storedBytes = good.store?.bytes
            var warnings = good.stats.notes
            if good.stats.badLines > 0 {
                warnings.insert("\(good.stats.badLines) line(s) skipped; first: \(good.stats.firstBadLine ?? "?")", at: 0)
            }
            if !warnings.isEmpty { metrics.scrapeWarning = warnings.joined(separator: "; ") }
            facts.metrics[node] = metrics
            facts.history[node].append(metrics)
            readings[node] = good.reading
            if !scrapedNames.isEmpty { scraped[node] = good.scraped }
        case .failure(let error):
            facts.metrics[node].scrapeError = String(describing: error).sanitizedForTerminal
            facts.history[node].append(nil)
        }
        dirtyNodes.insert(node)
    }

    mutating func recordLogs(node: Int, lines: [String]) {
        guard facts.logs[node] != lines else { return }
        facts.logs[node] = lines
        dirtyNodes.insert(node)
    }

    /// The next snapshot when anything changed (or `force`), else nil; `locks`, when given, are
    /// new facts from the lock watchers. Alerts are added by the caller, outside this lock.
    mutating func publish(time: Date, force: Bool, locks: [(lock: LockSnapshot, context: LockDiagnosis.Context)]? = nil) -> ClusterSnapshot? {
        let factsChanged = !dirtyChecks.isEmpty || !dirtyNodes.isEmpty
        guard force || factsChanged || locks != nil else { return nil }
        var snapshot = builder.apply(dirtyChecks: dirtyChecks, dirtyNodes: dirtyNodes, facts: facts, generation: generation + 1, time: time)
        dirtyChecks.removeAll(keepingCapacity: true)
        dirtyNodes.removeAll(keepingCapacity: true)
        if let locks { lockFacts = locks }
        var lockSection = self.lockSection
        if locks != nil || factsChanged, !lockFacts.isEmpty {
            // A lock's diagnosis depends on its holder's node: recomputed when either changes.
            var statuses: [String: Status] = [:]
            for node in snapshot.nodes { statuses[node.name] = node.status }
            let holders = Set(lockFacts.compactMap(\.lock.holderNode))
            var troubles: [String: String] = [:]
            for node in snapshot.nodes where holders.contains(node.name) {
                troubles[node.name] = LockDiagnosis.trouble(of: node, services: snapshot.services)
            }
            lockSection = lockFacts.map {
                LockDiagnosis.apply($0.lock, context: $0.context, nodeStatus: { statuses[$0] }, nodeTrouble: { troubles[$0] }, now: time)
            }
        }
        guard force || factsChanged || lockSection != self.lockSection else { return nil }
        self.lockSection = lockSection
        snapshot.locks = lockSection
        generation += 1
        return snapshot
    }

    /// The newest snapshot again under the next generation, for a change outside the facts (alerts).
    mutating func nextGeneration(time: Date) -> ClusterSnapshot {
        generation += 1
        var snapshot = builder.apply(dirtyChecks: [], dirtyNodes: [], facts: facts, generation: generation, time: time)
        snapshot.locks = lockSection
        return snapshot
    }

    /// Samples of the scraped series alert rules name, by name, across nodes.
    var scrapedSeries: [String: [AlertSample]] {
        guard !scrapedNames.isEmpty else { return [:] }
        var result: [String: [AlertSample]] = [:]
        for node in scraped { for (name, samples) in node { result[name, default: []] += samples } }
        return result
    }
}
