import Foundation
import Synchronization
import VitalsCore
import VitalsEngine

/// The cluster as a remote `vitals serve` sees it, kept current over `GET /v1/events`: the
/// whole snapshot first, then each delta applied. When the connection goes, it says so (the
/// data kept is the last seen, never passed off as live) and connects again with backoff:
/// 0.5 s, 1 s, 2 s… up to 10 s, with jitter so a team's dashboards do not return in step.
public final class RemoteCluster: Sendable {
    public enum Connection: Sendable, Equatable {
        /// Not connected yet (`attempt` tries so far, and why the last failed).
        case connecting(attempt: Int, reason: String?)
        case live(since: Date)
        /// Connected once, now lost: since when, when the next try is, and why.
        case lost(since: Date, retryAt: Date, reason: String)
    }

    private struct State {
        var snapshot: ClusterSnapshot
        var connection = Connection.connecting(attempt: 0, reason: nil)
        var applied: UInt64 = 0
    }

    public let client: APIClient
    private let state: Mutex<State>
    private let maxBackoff: Duration
    private let updates: Duration?
    private let changed: @Sendable () -> Void

    /// - Parameter updates: ask for at most one update per this interval (alerts, silences and
    ///   status changes still come at once); nil for every generation.
    ///   - changed: called after each new snapshot or change of connection (to wake a screen).
    public init(client: APIClient, maxBackoff: Duration = .seconds(10), updates: Duration? = nil, changed: @escaping @Sendable () -> Void = {}) {
        self.changed = changed
        self.client = client
        self.maxBackoff = maxBackoff
        self.updates = updates
        state = Mutex(State(snapshot: .empty(cluster: client.base.host)))
    }

    public var snapshot: ClusterSnapshot { state.withLock { $0.snapshot } }
    public var connection: Connection { state.withLock { $0.connection } }
    /// Deltas and snapshots taken since start.
    public var eventsApplied: UInt64 { state.withLock { $0.applied } }

    /// What a banner says while the data is not live; nil while it is.
    public func notice(now: Date = Date(), timeZone: TimeZone = .current) -> String? {
        let url = "\(client.base.tls ? "https" : "http")://\(AddressSyntax.join(client.base.host, client.base.port))"
        switch connection {
        case .live:
            return nil
        case .connecting(let attempt, let reason):
            guard attempt > 0, let reason else { return "connecting to \(url)…" }
            return "cannot reach \(url), retrying (try \(attempt): \(Self.short(reason)))"
        case .lost(let since, let retryAt, let reason):
            let wait = Int(max(0, retryAt.timeIntervalSince(now)).rounded(.up))
            return "disconnected since \(Self.clock(since, timeZone)), retrying" + (wait > 0 ? " in \(wait) s" : "…") + " (\(Self.short(reason)))"
        }
    }

    /// Follows the server until the task is cancelled.
    public func run() async {
        var failures = 0
        while !Task.isCancelled {
            var reason = "the connection closed"
            let path = "/v1/events" + (updates.map { "?interval=\($0.goString)" } ?? "")
            let stream = EventStreamClient.open(client.target(path), headers: client.headers, tls: client.tlsPair)
            do {
                for try await event in stream {
                    try take(event)
                    failures = 0
                    changed()
                }
            } catch {
                reason = "\(error)"
            }
            guard !Task.isCancelled else { return }
            failures += 1
            let base = min(maxBackoff.seconds, 0.5 * pow(2, Double(min(failures - 1, 10))))
            let delay = base * Double.random(in: 0.8...1.2)
            let now = Date()
            state.withLock { state in
                switch state.connection {
                case .connecting(let attempt, _):
                    state.connection = .connecting(attempt: attempt + 1, reason: reason)
                case .live(_):
                    state.connection = .lost(since: now, retryAt: now.addingTimeInterval(delay), reason: reason)
                case .lost(let since, _, _):
                    state.connection = .lost(since: since, retryAt: now.addingTimeInterval(delay), reason: reason)
                }
            }
            changed()
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        }
    }

    /// Applies one event; throws when the stream must start again (a delta for another generation).
    func take(_ event: EventStreamClient.Event) throws {
        switch event.name {
        case "snapshot":
            let snapshot = try ClusterSnapshot.decode(json: Data(event.data))
            state.withLock { state in
                state.snapshot = snapshot
                state.applied += 1
                if case .live = state.connection {} else { state.connection = .live(since: Date()) }
            }
        case "delta":
            let delta = try SnapshotDelta.decode(json: Data(event.data))
            try state.withLock { state throws in
                guard let next = delta.applied(to: state.snapshot) else {
                    throw EventStreamClient.Failure("missed a generation (have \(state.snapshot.generation), got a delta from \(delta.base))")
                }
                state.snapshot = next
                state.applied += 1
            }
        default:
            break
        }
    }

    /// A reason without the address the banner's reader already knows (`dial tcp 127.0.0.1:7070: `).
    static func short(_ reason: String) -> String {
        guard reason.hasPrefix("dial tcp "), let colon = reason.range(of: ": ") else { return reason }
        return String(reason[colon.upperBound...])
    }

    private static func clock(_ date: Date, _ timeZone: TimeZone) -> String { date.clock(in: timeZone) }
}
