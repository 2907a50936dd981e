import Foundation
import NIOCore
import VitalsCore

/// What the HTTP API asks of a running engine besides its snapshots and the person commands.
extension Engine {
    /// A ttl check's heartbeat, as `vitals ttl` and `PUT /v1/checks/{id}/ttl` give it.
    public enum Heartbeat: Sendable, Equatable {
        /// Taken: `node/service/check status`.
        case recorded(String)
        /// No such ttl check, several of them, or a verdict that is not pass, warn or fail.
        case refused(String)
    }

    /// Records a heartbeat for the ttl check `check` (`node/service/check`, `node/check`, or a
    /// name no other ttl check has).
    /// - Parameter verdict: `pass`, `warn` or `fail`.
    public func heartbeat(_ verdict: String, check: String, note: String) -> Heartbeat {
        guard !check.isEmpty, !check.contains(" ") else { return .refused("a check id has no spaces: node/service/check") }
        let line = "ttl \(verdict) \(check) \(note.replacingOccurrences(of: "\n", with: " "))".trimmingCharacters(in: .whitespaces)
        let answer = command(line)
        if answer.hasPrefix("ok ") { return .recorded(String(answer.dropFirst(3))) }
        return .refused(answer.hasPrefix("error: ") ? String(answer.dropFirst(7)) : answer)
    }

    /// What a body of pushed log lines gave: lines kept parsed, lines kept raw, and why (at most 20).
    public struct PushedLogs: Sendable, Equatable {
        public var accepted: Int
        public var unparsed: Int
        public var errors: [String]
    }

    /// Stores a body of JSON lines pushed by `source` (the sender's address), one record per
    /// line; a line that does not parse is kept raw with its reason.
    public func pushLogs(_ body: ByteBuffer, source: String) -> PushedLogs {
        let (entries, errors) = LogPushServer.read(body)
        if !entries.isEmpty {
            logs.append(entries.map { router.route($0, source: source) }, received: wallClock())
        }
        let unparsed = entries.filter { $0.parseError != nil }.count
        return PushedLogs(accepted: entries.count - unparsed, unparsed: unparsed, errors: errors)
    }

    /// Probes, their durations and scrapes since the process started.
    public var engineCounters: EngineCounters { counters.withLock { $0 } }
}
