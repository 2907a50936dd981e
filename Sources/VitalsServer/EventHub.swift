import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import VitalsCore

/// `GET /v1/events`: every attached client first gets the whole snapshot (`event: snapshot`),
/// then one `event: delta` per new generation (the nodes and instances that changed, and the
/// sections that did), and an `event: alert` for each alert that started, fired, resolved, or
/// was acknowledged or silenced. Each event is encoded once for every client.
///
/// A client that cannot keep up (its socket buffer full) skips deltas and gets the whole newest
/// snapshot when it can take it again, so it never applies a delta to the wrong generation.
public final class EventHub: Sendable {
    static let headers: [(String, String)] = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]

    private struct Client {
        let channel: any Channel
        /// The generation it has, or nil when it needs a whole snapshot.
        var generation: UInt64?
        /// At most one update per interval (nil: every generation), except for urgent changes.
        var interval: Duration?
        var lastSent: ContinuousClock.Instant
        /// A change a person made or must see (alerts, silences, a status) is waiting.
        var urgent = false
        /// Pings in a row at which it could not take more.
        var stalled = 0
    }

    private struct State {
        var clients: [ObjectIdentifier: Client] = [:]
        var last: ClusterSnapshot?
        /// The last generations, so a client that skipped some gets one delta from where it is.
        var recent: [UInt64: ClusterSnapshot] = [:]
        var full: (generation: UInt64, bytes: ByteBuffer)?
        var sentEvents: UInt64 = 0
    }

    /// How many past generations are kept for throttled clients.
    static let kept = 64

    private let backend: any APIBackend
    private let state = Mutex(State())
    private let pollInterval: Duration
    private let pingInterval: Duration

    /// - Parameters:
    ///   - pollInterval: how often the newest snapshot is looked at (a mutex read).
    ///   - pingInterval: how often a comment line tells idle clients the server is there.
    public init(backend: any APIBackend, pollInterval: Duration = .milliseconds(50), pingInterval: Duration = .seconds(10)) {
        self.backend = backend
        self.pollInterval = pollInterval
        self.pingInterval = pingInterval
    }

    /// Clients streaming now.
    public var clientCount: Int { state.withLock { $0.clients.count } }

    /// Starts streaming to `channel`, whose response head was written: the whole snapshot now.
    /// - Parameter interval: send at most one update per `interval` (`?interval=1s`), except
    ///   when alerts, silences or a status change, which go at once.
    func add(_ channel: any Channel, interval: Duration? = nil) {
        let key = ObjectIdentifier(channel)
        let snapshot = backend.engine.store.latest
        state.withLock { state in
            let bytes = Self.fullEvent(snapshot, cache: &state.full)
            state.clients[key] = Client(channel: channel, generation: snapshot.generation, interval: interval, lastSent: .now)
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(bytes)), promise: nil)
        }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.clients.removeValue(forKey: key) }
        }
    }

    /// Watches for new generations and sends them until the task is cancelled.
    public func run() async {
        var sincePing = Duration.zero
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            sincePing += pollInterval
            let latest = backend.engine.store.latest
            broadcast(latest)
            if sincePing >= pingInterval {
                sincePing = .zero
                ping()
            }
        }
        let clients = state.withLock { $0.clients.values.map(\.channel) }
        for channel in clients { channel.close(promise: nil) }
    }

    /// Sends what changed up to `latest` to every client that is due: as one delta from the
    /// generation it has (when that is still kept), else whole.
    func broadcast(_ latest: ClusterSnapshot, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            guard let last = state.last else {
                state.last = latest
                state.recent[latest.generation] = latest
                return
            }
            var alerts = ByteBuffer()
            var urgent = false
            if latest.generation != last.generation {
                state.last = latest
                state.recent[latest.generation] = latest
                if state.recent.count > Self.kept, let oldest = state.recent.keys.min() { state.recent.removeValue(forKey: oldest) }
                // Only generations a client still has are kept: each holds a whole snapshot, and
                // 64 of a 10,000-node cluster are hundreds of megabytes.
                let needed = state.clients.values.compactMap(\.generation).min() ?? latest.generation
                if state.recent.keys.contains(where: { $0 < needed }) { state.recent = state.recent.filter { $0.key >= needed } }
                urgent = Self.isUrgent(from: last, to: latest)
                for (change, alert) in Self.alertChanges(from: last.alerts, to: latest.alerts) {
                    struct AlertEvent: Encodable {
                        var change: String
                        var alert: AlertSnapshot
                    }
                    if let json = try? ClusterSnapshot.encoder(pretty: false).encode(AlertEvent(change: change, alert: alert)) {
                        var event = Self.event("alert", id: nil, json: json)
                        alerts.writeBuffer(&event)
                    }
                }
            }
            guard !state.clients.isEmpty else { return }
            var deltas: [UInt64: ByteBuffer?] = [:]  // by base generation, made once for all clients
            for key in Array(state.clients.keys) {
                guard var client = state.clients[key] else { continue }
                if urgent { client.urgent = true }
                var bytes = ByteBuffer()
                let behind = client.generation.map { $0 < latest.generation } ?? true
                let due = client.urgent || client.interval.map { now - client.lastSent >= $0 } ?? true
                if behind && due && client.channel.isWritable {
                    if let base = client.generation, let from = state.recent[base] {
                        if deltas[base] == nil {
                            deltas[base] = SnapshotDelta(from: from, to: latest).flatMap { delta in
                                (try? delta.jsonData()).map { Self.event("delta", id: latest.generation, json: $0) }
                            }
                        }
                        bytes = (deltas[base] ?? nil) ?? Self.fullEvent(latest, cache: &state.full)
                    } else {
                        bytes = Self.fullEvent(latest, cache: &state.full)
                    }
                    client.generation = latest.generation
                    client.lastSent = now
                    client.urgent = false
                    client.stalled = 0
                } else if behind && !client.channel.isWritable {
                    client.generation = nil
                }
                if alerts.readableBytes > 0 {
                    var extra = alerts
                    bytes.writeBuffer(&extra)
                }
                state.clients[key] = client
                guard bytes.readableBytes > 0 else { continue }
                state.sentEvents += 1
                client.channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(bytes)), promise: nil)
            }
        }
    }

    /// Whether a change must reach throttled clients at once: alerts, silences, or a status.
    static func isUrgent(from old: ClusterSnapshot, to new: ClusterSnapshot) -> Bool {
        if old.alerts != new.alerts || old.silences != new.silences || old.stateProblem != new.stateProblem { return true }
        guard old.nodes.count == new.nodes.count, old.services.count == new.services.count else { return true }
        for index in new.nodes.indices where old.nodes[index].status != new.nodes[index].status { return true }
        for index in new.services.indices where old.services[index].status != new.services[index].status { return true }
        return false
    }

    /// A comment line every client ignores, so a client notices a server that went away and the
    /// server notices a client that did; one that cannot take even that for three pings is closed.
    private func ping() {
        let ping = ByteBuffer(string: ": ping\n\n")
        state.withLock { state in
            for key in Array(state.clients.keys) {
                guard var client = state.clients[key] else { continue }
                if client.channel.isWritable {
                    client.stalled = 0
                    client.channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ping)), promise: nil)
                } else {
                    client.stalled += 1
                    if client.stalled >= 3 { client.channel.close(promise: nil) }
                }
                state.clients[key] = client
            }
        }
    }

    private static func fullEvent(_ snapshot: ClusterSnapshot, cache: inout (generation: UInt64, bytes: ByteBuffer)?) -> ByteBuffer {
        if let cache, cache.generation == snapshot.generation { return cache.bytes }
        guard let json = try? snapshot.jsonData(pretty: false) else { return ByteBuffer() }
        let bytes = event("snapshot", id: snapshot.generation, json: json)
        cache = (snapshot.generation, bytes)
        return bytes
    }

    /// One server-sent event; the JSON is one line, so one `data:` field holds it.
    static func event(_ name: String, id: UInt64?, json: Data) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(json.count + 48)
        if let id { buffer.writeString("id: \(id)\n") }
        buffer.writeString("event: \(name)\ndata: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }

    /// What happened to each alert between two lists: `new` (pending), `firing`, `resolved`,
    /// `acknowledged`, `unacknowledged`, `silenced`, `unsilenced`.
    public static func alertChanges(from old: [AlertSnapshot], to new: [AlertSnapshot]) -> [(String, AlertSnapshot)] {
        var before: [String: AlertSnapshot] = [:]
        for alert in old { before[alert.id] = alert }
        var changes: [(String, AlertSnapshot)] = []
        for alert in new {
            guard let was = before[alert.id] else {
                changes.append((alert.state == .pending ? "new" : alert.state.rawValue, alert))
                continue
            }
            if was.state != alert.state { changes.append((alert.state == .pending ? "new" : alert.state.rawValue, alert)) }
            if was.acknowledgedBy != alert.acknowledgedBy || was.comment != alert.comment {
                changes.append((alert.isAcknowledged ? "acknowledged" : "unacknowledged", alert))
            }
            if was.silencedBy != alert.silencedBy { changes.append((alert.isSilenced ? "silenced" : "unsilenced", alert)) }
        }
        return changes
    }
}
