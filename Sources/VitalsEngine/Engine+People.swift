import Foundation
import NIOCore
import NIOPosix
import Synchronization
import VitalsCore
import VitalsLogFormats

/// What people do through the engine — acknowledge, silence, maintenance — each written to
/// the state file first and only then shown, and the history entries the engine writes itself.
extension Engine {
    /// Acknowledges the pending or firing alerts `ids`: written to the state file first, and only
    /// then shown, so an ack the screen shows survives a crash.
    /// - Returns: the alerts acknowledged.
    /// - Throws: `AlertStateStore.Problem` when the ack could not be stored (nothing changes then).
    @discardableResult
    public func acknowledge(_ ids: [String], by who: String, comment: String) throws(AlertStateStore.Problem) -> [AlertSnapshot] {
        let time = wallClock()
        let ack = AlertTracker.Ack(by: who, at: time, comment: comment)
        let alerts = alertState.withLock { state in ids.compactMap { state.tracker.alert($0, at: time) } }
        guard !alerts.isEmpty else { return [] }
        try stateStore?.acknowledge(alerts, ack)
        alertState.withLock { state in
            state.tracker.acknowledge(alerts.map(\.id), ack)
            state.changedByPerson = true
        }
        publish(force: true)
        notifier.enqueue(.acknowledged(alerts, ack))
        return alerts
    }

    /// Writes an event that is not an alert (a registered service the engine deregistered, say)
    /// into the alert history as an `info` entry, kept in the state file like a resolved alert.
    public func recordInHistory(name: String, node: String?, service: String?, summary: String) {
        let time = wallClock()
        var labels = ["alertname": name]
        labels["node"] = node
        labels["service"] = service
        let entry = AlertSnapshot(
            id: "\(name)/\(node ?? "")/\(service ?? "")/\(time.timeIntervalSince1970)", name: name, severity: .info, state: .resolved,
            node: node, service: service, since: time, resolvedAt: time, summary: summary, labels: labels
        )
        persist { (store: AlertStateStore) throws(AlertStateStore.Problem) in try store.record(AlertTracker.Changes(resolved: [entry])) }
        alertState.withLock { state in
            state.tracker.note(entry)
            state.changedByPerson = true
        }
        publish(force: true)
    }

    /// Removes the acknowledgement of the alerts `ids`; returns how many had one.
    @discardableResult
    public func unacknowledge(_ ids: [String], by who: String) throws(AlertStateStore.Problem) -> Int {
        let time = wallClock()
        let acked = alertState.withLock { state in ids.filter { state.tracker.acks[$0] != nil } }
        guard !acked.isEmpty else { return 0 }
        try stateStore?.unacknowledge(acked, by: who, at: time)
        alertState.withLock { state in
            state.tracker.unacknowledge(acked)
            state.changedByPerson = true
        }
        publish(force: true)
        notifier.enqueue(.unacknowledged(acked))
        return acked.count
    }

    /// Puts `node` (or its `service`) in maintenance: written to the state file first, then shown.
    /// Its status is `maintenance`, masking its checks (which still run) and their alerts.
    /// - Returns: false when there is no such node or service.
    @discardableResult
    public func beginMaintenance(node: String, service: String?, reason: String, for duration: Duration?, by who: String) throws(AlertStateStore.Problem) -> Bool {
        let time = wallClock()
        let maintenance = Maintenance(node: node, service: service, reason: reason, by: who, since: time, until: duration.map { time.addingTimeInterval($0.seconds) })
        guard config.nodes.contains(where: { $0.name == node && (service == nil || $0.services.contains { $0.name == service }) }) else { return false }
        try stateStore?.save(maintenance, ended: false, by: who, at: time)
        state.withLock { $0.setMaintenance(node: node, service: service, maintenance) }
        publish(force: true)
        return true
    }

    /// Ends the maintenance of `node` (or its `service`); false when there was none.
    @discardableResult
    public func endMaintenance(node: String, service: String?, by who: String) throws(AlertStateStore.Problem) -> Bool {
        let time = wallClock()
        guard let current = state.withLock({ $0.maintenances.first { $0.node == node && $0.service == service } }) else { return false }
        try stateStore?.save(current, ended: true, by: who, at: time)
        state.withLock { $0.setMaintenance(node: node, service: service, nil) }
        publish(force: true)
        return true
    }

    /// Silences alerts whose labels match every one of `matchers`, for `duration`.
    @discardableResult
    public func silence(matching matchers: [String: String], for duration: Duration, by who: String, comment: String) throws(AlertStateStore.Problem) -> SilenceSnapshot {
        let time = wallClock()
        let silence = SilenceSnapshot(
            id: UUID().uuidString.lowercased(), matchers: matchers, startsAt: time,
            endsAt: time.addingTimeInterval(duration.seconds), createdBy: who, comment: comment
        )
        try stateStore?.save(silence, action: "silence", by: who, at: time)
        alertState.withLock { state in
            state.tracker.addSilence(silence)
            state.changedByPerson = true
        }
        publish(force: true)
        notifier.enqueue(.silenced(silence))
        return silence
    }

    /// Ends the active silence `id` now; false when there is none.
    @discardableResult
    public func expireSilence(_ id: String, by who: String) throws(AlertStateStore.Problem) -> Bool {
        let time = wallClock()
        guard var silence = alertState.withLock({ state in state.tracker.silences.first { $0.id == id && $0.isActive(at: time) } }) else { return false }
        silence.endsAt = time
        try stateStore?.save(silence, action: "expire", by: who, at: time)
        alertState.withLock { state in
            _ = state.tracker.expireSilence(id, at: time)
            state.changedByPerson = true
        }
        publish(force: true)
        notifier.enqueue(.expired(id))
        return true
    }
}
