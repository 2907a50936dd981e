import Foundation
import VitalsCore

/// Which services each service needs, directly or through others (`depends_on`, transitively).
public struct ServiceDependencies: Sendable {
    private let upstream: [String: Set<String>]

    public init(_ config: ClusterConfig) {
        var direct: [String: Set<String>] = [:]
        for node in config.nodes {
            for service in node.services { direct[service.name, default: []].formUnion(service.dependsOn) }
        }
        var closure: [String: Set<String>] = [:]
        for name in direct.keys {
            var seen = Set<String>()
            var queue = Array(direct[name] ?? [])
            while let next = queue.popLast() {
                guard seen.insert(next).inserted else { continue }
                queue.append(contentsOf: direct[next] ?? [])
            }
            seen.remove(name)
            closure[name] = seen
        }
        upstream = closure
    }

    /// Whether `service` needs `other`, directly or not.
    public func service(_ service: String, needs other: String) -> Bool { upstream[service]?.contains(other) ?? false }

    /// Every service `service` needs, directly or not.
    public func upstream(of service: String) -> Set<String> { upstream[service] ?? [] }
}

/// Finds, for each alert, the alert upstream of it that explains it: an alert about a service
/// it depends on (through `depends_on`, transitively) whose failure began no later than its own,
/// or a critical alert about its node as a whole (whenever it began). The chain is followed to
/// its root, so every symptom points at the failure that started it.
enum RootCause {
    /// Root alert ids by symptom id; roots themselves are absent.
    /// - Parameter start: when the failure an alert reports began (its service's run of alerts);
    ///   the alert's own `since` by default.
    static func find(
        in alerts: [AlertSnapshot], dependencies: ServiceDependencies, start: (AlertSnapshot) -> Date = { $0.since }
    ) -> [String: String] {
        // Indexed by service and by node, so a fleet with thousands of alerts is not compared pairwise.
        var byService: [String: [AlertSnapshot]] = [:]
        var nodeWide: [String: [AlertSnapshot]] = [:]
        var byNode: [String: [AlertSnapshot]] = [:]
        for alert in alerts {
            if let node = alert.node, !isAboutALock(alert) { byNode[node, default: []].append(alert) }
            if let service = alert.service {
                byService[service, default: []].append(alert)
            } else if let node = alert.node, !isAboutALock(alert), alert.labels["check"] == nil {
                nodeWide[node, default: []].append(alert)
            }
        }
        var cause: [String: String] = [:]
        for alert in alerts {
            let began = start(alert)
            var candidates: [AlertSnapshot] = []
            if let service = alert.service {
                // A node that is down explains every service on it, whichever was noticed first
                // (a service check may fail a round before the node's last one does); only a
                // critical node-wide alert counts: a failing scrape, say, explains nothing.
                let nodeDown = (alert.node.flatMap { nodeWide[$0] } ?? []).filter { $0.severity == .critical && $0.severity >= alert.severity }
                if let down = nodeDown.min(by: { start($0) < start($1) }) {
                    cause[alert.id] = down.id
                    continue
                }
                for other in dependencies.upstream(of: service) { candidates += byService[other] ?? [] }
            } else if isAboutALock(alert), let node = alert.node {
                // A lock held by a failing node: the node's own failure is the cause.
                candidates = byNode[node] ?? []
            } else {
                continue
            }
            // The earliest failure upstream explains it best; severity and id break ties.
            let best = candidates.filter { $0.id != alert.id && start($0) <= began }.min { a, b in
                let (startA, startB) = (start(a), start(b))
                if startA != startB { return startA < startB }
                if a.severity != b.severity { return a.severity > b.severity }
                return a.id < b.id
            }
            if let best { cause[alert.id] = best.id }
        }
        var roots: [String: String] = [:]
        for id in cause.keys {
            var current = id
            var visited: Set<String> = [id]
            while let next = cause[current], visited.insert(next).inserted { current = next }
            if current != id { roots[id] = current }
        }
        return roots
    }

    /// Whether an alert is about a lock (StaleLockHolder): a consequence of its node's trouble,
    /// never a cause of it.
    private static func isAboutALock(_ alert: AlertSnapshot) -> Bool { alert.labels["lock"] != nil }
}
