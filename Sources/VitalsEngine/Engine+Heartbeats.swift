import Foundation
import NIOCore
import NIOPosix
import Synchronization
import VitalsCore
import VitalsLogFormats

/// TTL checks: their heartbeats, over the control socket and from registrations.
extension Engine {
    /// Consul's `Status` of a registered TTL check holds from the registration until its TTL
    /// runs out: as a heartbeat at the registration's time, by check number.
    static func registeredTTLStatus(config: ClusterConfig, layout: ClusterLayout) -> [Int: (time: Date, status: Status, note: String)] {
        var origins: [String: NodeOrigin] = [:]
        for node in config.nodes { if let origin = node.origin { origins[node.name] = origin } }
        guard !origins.isEmpty else { return [:] }
        var result: [Int: (time: Date, status: Status, note: String)] = [:]
        for (index, check) in layout.checkConfigs.enumerated() {
            guard case .ttl = check.target, let status = check.initialStatus, let origin = origins[layout.checkIDs[index].node] else { continue }
            result[index] = (origin.at, status, "\(status.rawValue) as registered; no heartbeat yet")
        }
        return result
    }

    /// A ttl check's verdict now: its newest heartbeat's while within the TTL, else critical.
    func ttlOutcome(_ check: Int, ttl: Duration) -> ProbeOutcome {
        guard let beat = heartbeats.withLock({ $0[check] }) else {
            return ProbeOutcome(status: .critical, output: "no heartbeat yet (TTL \(ttl.goString)): vitals ttl pass \(layout.checkIDs[check])", latency: nil)
        }
        let age = wallClock().timeIntervalSince(beat.time)
        guard age <= ttl.seconds else {
            return ProbeOutcome(status: .critical, output: "TTL expired: last heartbeat \(Int(age))s ago (TTL \(ttl.goString))", latency: nil)
        }
        return ProbeOutcome(status: beat.status, output: beat.note.isEmpty ? "heartbeat \(beat.status.rawValue)" : beat.note, latency: nil)
    }

    /// Runs one control-socket command: `ping`, or `ttl pass|warn|fail CHECK NOTE…`.
    func command(_ line: String) -> String {
        let status: Status, name: String, note: String
        switch ControlCommand.parse(line) {
        case .failure(let refusal): return "error: \(refusal)"
        case .success(.ping): return "pong"
        case .success(.ttl(let verdict, let check, let text)): (status, name, note) = (verdict, check, text)
        }
        let ttlChecks = layout.checkConfigs.indices.filter { if case .ttl = layout.checkConfigs[$0].target { true } else { false } }
        let matches = ttlChecks.filter { layout.checkIDs[$0].description == name || layout.checkIDs[$0].check == name }
        guard matches.count == 1, let check = matches.first else {
            let known = ttlChecks.map { layout.checkIDs[$0].description }.joined(separator: ", ")
            let shown = String(name.prefix(200)).sanitizedForTerminal
            return matches.isEmpty ? "error: no ttl check '\(shown)' (ttl checks: \(known.isEmpty ? "none" : known))" : "error: '\(shown)' names several checks; give node/service/check"
        }
        heartbeats.withLock { $0[check] = (wallClock(), status, note) }
        guard case .ttl(let ttl) = layout.checkConfigs[check].target else { return "error: not a ttl check" }
        record(check: check, outcome: ttlOutcome(check, ttl: ttl))
        return "ok \(layout.checkIDs[check]) \(status.rawValue)"
    }
}
