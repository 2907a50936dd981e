import Foundation
import VitalsCore

/// Turns lock facts into a status and the reasons for it, with what the engine knows about the
/// nodes: a holder whose node is critical while its lease lives on (stale), a long queue, a long
/// wait, leadership that keeps changing, a lease renewed too close to its end, etcd unreachable.
enum LockDiagnosis {
    /// What a source's book adds to its locks' facts.
    struct Context: Sendable {
        var config: LockConfig
        /// Holder changes of each lock within the flap window.
        var changesInWindow: [String: Int]
        /// The least share of its TTL the holder's lease had left when renewed, by lock.
        var renewalSlack: [String: Double]
    }

    /// - Parameters:
    ///   - nodeStatus: the status of a node, by name.
    ///   - nodeTrouble: what is wrong with a critical node, in words ("is down", "is critical:
    ///     its check 'http' timed out"), so a slow holder is not called dead.
    static func apply(
        _ lock: LockSnapshot, context: Context, nodeStatus: (String) -> Status?, nodeTrouble: (String) -> String? = { _ in nil }, now: Date
    ) -> LockSnapshot {
        var lock = lock
        lock.isStale = false
        var statuses: [Status] = [.passing]
        var reasons: [String] = []
        let config = context.config
        if let error = lock.error {
            // Never "released": what was last seen stays, marked unknown with the reason.
            statuses.append(.unknown)
            reasons.append(error)
        }
        if let node = lock.holderNode, nodeStatus(node) == .critical {
            let ttl = lock.leaseTTLSeconds
            if ttl.map({ $0 > 0 }) ?? true {
                statuses.append(.critical)
                lock.isStale = true
                let more = ttl.map { " for \($0) s more" } ?? ""
                reasons.insert("\(node) \(nodeTrouble(node) ?? "is critical") but holds \(lock.name)\(more)", at: 0)
            }
        }
        if lock.holder == nil, lock.error == nil {
            if lock.kind == .leaderKey {
                statuses.append(.warning)
                reasons.append("no leader: \(lock.name) is not set")
            } else if !lock.queue.isEmpty {
                statuses.append(.warning)
                reasons.append("no holder while \(lock.queue.count) wait")
            }
        }
        if lock.queue.count > config.maxWaiters {
            statuses.append(.warning)
            reasons.append("\(lock.queue.count) waiting (more than \(config.maxWaiters))")
        }
        if let longest = lock.queue.min(by: { $0.since < $1.since }), now.timeIntervalSince(longest.since) > config.maxWait.seconds {
            statuses.append(.warning)
            let waited = Duration.seconds(now.timeIntervalSince(longest.since)).goString
            reasons.append("\(longest.node ?? longest.value) has waited \(waited) (more than \(config.maxWait.goString))")
        }
        let changes = context.changesInWindow[lock.name] ?? 0
        if changes > config.flapChanges {
            statuses.append(.warning)
            reasons.append("\(lock.kind == .mutex ? "holder" : "leader") changed \(changes) times in \(config.flapWindow.goString)")
        }
        if let slack = context.renewalSlack[lock.name], slack < 0.2, let granted = lock.grantedTTLSeconds {
            statuses.append(.warning)
            reasons.append("lease TTL \(granted)s is too short: renewed with \(Int((slack * 100).rounded()))% of it left")
        }
        lock.status = Status.worst(statuses)
        lock.diagnoses = reasons
        return lock
    }

    /// What is wrong with `node`, in the words a lock's diagnosis uses: "is down" only when it
    /// answers nothing (its breaker is open, or every check of it and its services fails);
    /// otherwise "is critical" with the first failing check and what it said.
    static func trouble(of node: NodeSnapshot, services: [ServiceSnapshot]) -> String? {
        guard node.status == .critical else { return nil }
        let checks = node.checks + services.lazy.filter { $0.node == node.name }.flatMap(\.checks)
        if node.breakerOpenedAt != nil || (!checks.isEmpty && checks.allSatisfy { $0.status == .critical }) { return "is down" }
        guard let failing = checks.first(where: { $0.status == .critical }) else { return "is critical" }
        let said = failing.outputWithoutTarget.split(separator: "\n").first.map(String.init) ?? ""
        let brief = said.count > 40 ? String(said.prefix(39)) + "…" : said
        return "is critical (check '\(failing.name)'" + (brief.isEmpty ? "" : ": \(brief)") + ")"
    }
}
