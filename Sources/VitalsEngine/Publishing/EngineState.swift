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

    init(config: ClusterConfig, layout: ClusterLayout, time: Date) {
        facts = EngineFacts(layout: layout, nodeCount: config.nodes.count)
        builder = SnapshotBuilder(config: config, layout: layout, facts: facts, generation: 0, time: time)
        readings = Array(repeating: nil, count: config.nodes.count)
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

    /// The next snapshot when anything changed (or `force`), else nil.
    mutating func publish(time: Date, force: Bool) -> ClusterSnapshot? {
        guard force || !dirtyChecks.isEmpty || !dirtyNodes.isEmpty else { return nil }
        generation += 1
        let snapshot = builder.apply(dirtyChecks: dirtyChecks, dirtyNodes: dirtyNodes, facts: facts, generation: generation, time: time)
        dirtyChecks.removeAll(keepingCapacity: true)
        dirtyNodes.removeAll(keepingCapacity: true)
        return snapshot
    }
}
