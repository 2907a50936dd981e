import Foundation
import Synchronization
import VitalsCore

/// Sends alerts to webhook receivers (Alertmanager's webhook JSON, so existing receivers work)
/// and to an Alertmanager (`POST /api/v2/alerts`), where an acknowledgement becomes a silence.
///
/// The engine only enqueues: sending happens on a task of its own, each request with a deadline
/// and a few retries with backoff, so a receiver that hangs or fails never holds the engine up.
/// When the queue is full the oldest events are dropped and counted.
public final class AlertNotifier: Sendable {
    enum Event: Sendable {
        case changes(AlertTracker.Changes)
        case acknowledged([AlertSnapshot], AlertTracker.Ack)
        case unacknowledged([String])
        case silenced(SilenceSnapshot)
        case expired(String)
        case resend([AlertSnapshot])
    }

    /// What the notifier has done, for the status line and tests.
    public struct Stats: Sendable, Equatable {
        public var delivered = 0
        public var failed = 0
        public var dropped = 0
        public var lastError: String?
    }

    public static let queueLength = 256
    private let fetcher: HTTPFetcher
    private let webhooks: [HTTPTarget]
    private let alertmanager: HTTPTarget?
    private let attempts: Int
    private let timeout: Duration
    private let stream: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let state = Mutex(State())

    private struct State {
        var stats = Stats()
    }

    public init(config: AlertingConfig, fetcher: HTTPFetcher, attempts: Int = 3, timeout: Duration = .seconds(5)) {
        self.fetcher = fetcher
        webhooks = config.webhooks.compactMap(HTTPTarget.init)
        alertmanager = config.alertmanager.flatMap(HTTPTarget.init)
        self.attempts = max(1, attempts)
        self.timeout = timeout
        (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(Self.queueLength))
    }

    /// Whether there is anywhere to send to.
    public var isEnabled: Bool { !webhooks.isEmpty || alertmanager != nil }

    public var stats: Stats { state.withLock { $0.stats } }

    func enqueue(_ event: Event) {
        guard isEnabled else { return }
        if case .dropped = continuation.yield(event) { state.withLock { $0.stats.dropped += 1 } }
    }

    /// Sends queued events until the task is cancelled; every `resendEvery`, the firing alerts
    /// from `firing` go to Alertmanager again (it forgets alerts that are not repeated).
    func run(resendEvery: Duration, firing: @escaping @Sendable () -> [AlertSnapshot]) async {
        guard isEnabled else { return }
        await withDiscardingTaskGroup { group in
            group.addTask {
                while (try? await Task.sleep(for: resendEvery)) != nil {
                    let alerts = firing()
                    if !alerts.isEmpty { self.enqueue(.resend(alerts)) }
                }
            }
            group.addTask {
                for await event in self.stream {
                    guard !Task.isCancelled else { break }
                    await self.send(event)
                }
            }
            group.addTask {
                // Ends the event loop when the engine stops.
                await withTaskCancellationHandler { await Self.forever() } onCancel: { self.continuation.finish() }
            }
        }
    }

    private static func forever() async {
        while (try? await Task.sleep(for: .seconds(3600))) != nil {}
    }

    private func send(_ event: Event) async {
        switch event {
        case .changes(let changes):
            let alerts = changes.fired + changes.resolved
            for webhook in webhooks { _ = await deliver("POST", webhook, Self.webhookPayload(alerts)) }
            if let alertmanager { _ = await deliver("POST", alertmanager.appending("/api/v2/alerts"), Self.alertmanagerPayload(alerts)) }
            for alert in changes.resolved { await removeRemoteSilence(key: alert.id) }
        case .resend(let alerts):
            if let alertmanager { _ = await deliver("POST", alertmanager.appending("/api/v2/alerts"), Self.alertmanagerPayload(alerts)) }
        case .acknowledged(let alerts, let ack):
            for alert in alerts {
                var matchers = alert.labels
                matchers["alertname"] = alert.name
                let comment = "acknowledged in Vitals: \(ack.comment)"
                await createRemoteSilence(key: alert.id, matchers: matchers, ends: ack.at.addingTimeInterval(7 * 86_400), by: ack.by, comment: comment)
            }
        case .unacknowledged(let ids):
            for id in ids { await removeRemoteSilence(key: id) }
        case .silenced(let silence):
            await createRemoteSilence(key: silence.id, matchers: silence.matchers, ends: silence.endsAt, by: silence.createdBy, comment: silence.comment)
        case .expired(let id):
            await removeRemoteSilence(key: id)
        }
    }

    /// The tag that ends the comment of every silence Vitals makes in Alertmanager, naming the
    /// ack (alert id) or silence it stands for: how it finds them again to expire them.
    static func tag(_ key: String) -> String { "[vitals \(key)]" }

    private func createRemoteSilence(key: String, matchers: [String: String], ends: Date, by: String, comment: String) async {
        guard let alertmanager else { return }
        let body: [String: Any] = [
            "matchers": matchers.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value, "isRegex": false, "isEqual": true] },
            "startsAt": Self.iso(Date()), "endsAt": Self.iso(ends), "createdBy": by,
            "comment": (comment.isEmpty ? "(no comment)" : comment) + " " + Self.tag(key),
        ]
        _ = await deliver("POST", alertmanager.appending("/api/v2/silences"), Self.json(body))
    }

    /// Expires every active silence in Alertmanager tagged with `key`: found by listing them, so
    /// a silence whose creation was retried (the first answer lost, the silence made twice) goes too.
    private func removeRemoteSilence(key: String) async {
        guard let alertmanager else { return }
        guard let listing = try? await fetcher.get(alertmanager.appending("/api/v2/silences"), timeout: timeout, maxBody: 8 << 20),
              (200..<300).contains(listing.status),
              let silences = (try? JSONSerialization.jsonObject(with: Data(listing.body.utf8))) as? [[String: Any]] else {
            record("GET \(alertmanager.host):\(alertmanager.port)/api/v2/silences: cannot list silences to expire \(key)")
            return
        }
        let tag = Self.tag(key)
        for silence in silences {
            guard let id = silence["id"] as? String, (silence["comment"] as? String)?.hasSuffix(tag) == true,
                  ((silence["status"] as? [String: Any])?["state"] as? String) != "expired" else { continue }
            _ = await deliver("DELETE", alertmanager.appending("/api/v2/silence/\(id)"), [])
        }
    }

    /// One request with retries and backoff (with jitter); the answer's body on a 2xx.
    private func deliver(_ method: String, _ target: HTTPTarget, _ body: [UInt8]) async -> [UInt8]? {
        var delay = 0.5
        for attempt in 1...attempts {
            do {
                let response = try await fetcher.send(method, target, body: body, timeout: timeout)
                if (200..<300).contains(response.status) {
                    state.withLock { $0.stats.delivered += 1 }
                    return Array(response.body.utf8)
                }
                record("\(method) \(target.host):\(target.port)\(target.path): HTTP \(response.status)")
            } catch {
                record("\(method) \(target.host):\(target.port)\(target.path): \(error)")
            }
            guard attempt < attempts, (try? await Task.sleep(for: .seconds(delay * Double.random(in: 0.8...1.2)))) != nil else { break }
            delay *= 2
        }
        state.withLock { $0.stats.failed += 1 }
        return nil
    }

    private func record(_ error: String) {
        state.withLock { $0.stats.lastError = error.sanitizedForTerminal }
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    static func json(_ object: Any) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    private static func labels(_ alert: AlertSnapshot) -> [String: String] {
        var labels = alert.labels
        labels["alertname"] = alert.name
        labels["severity"] = alert.severity.rawValue
        return labels
    }

    private static func annotations(_ alert: AlertSnapshot) -> [String: String] {
        var annotations = ["summary": alert.summary, "vitals_id": alert.id]
        if let root = alert.rootCause { annotations["root_cause"] = root }
        if let by = alert.acknowledgedBy { annotations["acknowledged_by"] = by }
        if let comment = alert.comment { annotations["ack_comment"] = comment }
        return annotations
    }

    /// Alertmanager's v2 API: a list of postable alerts.
    static func alertmanagerPayload(_ alerts: [AlertSnapshot]) -> [UInt8] {
        json(alerts.map { alert -> [String: Any] in
            var entry: [String: Any] = ["labels": labels(alert), "annotations": annotations(alert), "startsAt": iso(alert.firedAt ?? alert.since)]
            if let resolved = alert.resolvedAt { entry["endsAt"] = iso(resolved) }
            return entry
        })
    }

    /// Alertmanager's webhook JSON (version 4), as its receivers expect it.
    static func webhookPayload(_ alerts: [AlertSnapshot]) -> [UInt8] {
        let entries = alerts.map { alert -> [String: Any] in
            [
                "status": alert.state == .resolved ? "resolved" : "firing", "labels": labels(alert), "annotations": annotations(alert),
                "startsAt": iso(alert.firedAt ?? alert.since), "endsAt": alert.resolvedAt.map(iso) ?? "0001-01-01T00:00:00Z",
                "generatorURL": "", "fingerprint": alert.id,
            ]
        }
        let firing = alerts.contains { $0.state != .resolved }
        return json([
            "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": firing ? "firing" : "resolved",
            "receiver": "vitals", "groupLabels": [String: String](), "commonLabels": [String: String](),
            "commonAnnotations": [String: String](), "externalURL": "", "alerts": entries,
        ])
    }
}

extension HTTPTarget {
    /// The same host and port with `suffix` after the path (without doubling a slash).
    func appending(_ suffix: String) -> HTTPTarget {
        var result = self
        result.path = (path.hasSuffix("/") ? String(path.dropLast()) : path) + suffix
        return result
    }
}
