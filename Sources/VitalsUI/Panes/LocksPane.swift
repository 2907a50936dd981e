import Foundation
import VitalsCore

/// Every lock, election and leader key: who holds it, for how long, the lease left, who waits,
/// how often it changes hands, and what is wrong — worst first.
public enum LocksPane {
    public static func draw(into screen: inout Screen, rect: Rect, snapshot: ClusterSnapshot, state: AppState, theme: Theme) {
        let rows = state.lockRows(snapshot)
        let selectedID = state.selection[.locks] ?? rows.first?.id
        let table = Table(
            columns: [
                .value("STATUS", 9...11), .name("LOCK", 10...40), .value("KIND", 6...8, drop: 4), .name("HOLDER", 8...24),
                .value("HELD", 4...7, right: true, drop: 1), .value("TTL", 3...5, right: true, drop: 1), .value("WAITING", 7...12, drop: 1),
                .value("CHG/H", 5...5, right: true, drop: 3), .reason("WHY", minimum: 20),
            ],
            rowCount: rows.count,
            selected: state.highlightsSelection ? rows.firstIndex { $0.id == selectedID } ?? (rows.isEmpty ? nil : 0) : nil,
            scrollTop: state.scrollTop[.locks] ?? 0,
            sort: state.sort[.locks]
        ) { index in
            let row = rows[index]
            if let waiter = row.waiter { return waiterRow(waiter, lock: row.lock, now: snapshot.time, theme: theme) }
            return lockRow(row, now: snapshot.time, theme: theme)
        }
        let empty = state.filter.isEmpty
            ? "no locks: add a locks: entry (an etcd prefix or leader key) to the cluster file"
            : "no lock matches '\(state.filter)'"
        table.draw(into: &screen, rect: rect, theme: theme, emptyMessage: empty)
    }

    static func kindWord(_ kind: LockSnapshot.Kind) -> String {
        switch kind {
        case .mutex: "mutex"
        case .election: "election"
        case .leaderKey: "leader"
        }
    }

    /// How long the holder has held it: `≥` when it began before Vitals was watching.
    static func held(_ lock: LockSnapshot, now: Date) -> String {
        guard let since = lock.heldSince else { return "-" }
        return (lock.heldSinceExact ? "" : "≥") + Format.ago(since, now: now)
    }

    private static func lockRow(_ row: LockRow, now: Date, theme: Theme) -> [Table.Item] {
        let lock = row.lock
        let marker = lock.queue.isEmpty ? "" : (row.isExpanded ? "▾ " : "▸ ")
        var waiting = "-"
        if let longest = lock.queue.map(\.since).min() { waiting = "\(lock.waiters) · \(Format.ago(longest, now: now))" }
        let why = lock.diagnoses.first ?? (lock.queue.isEmpty ? lock.source : "next: " + lock.queue.prefix(3).map { $0.node ?? $0.value }.joined(separator: ", "))
        let holderStyle = lock.isStale ? theme[.critical] : lock.holder == nil ? theme[.muted] : theme[.text]
        return [
            Table.Item(Format.status(lock.status), theme.style(for: lock.status)),
            Table.Item(marker + lock.name, theme[.title]),
            Table.Item(kindWord(lock.kind), theme[.muted]),
            Table.Item(lock.holder ?? (lock.error == nil ? "(none)" : "?"), holderStyle),
            Table.Item(held(lock, now: now), theme[.text]),
            Table.Item(lock.leaseTTLSeconds.map { "\($0)s" } ?? "-", (lock.leaseTTLSeconds ?? 99) <= 3 ? theme[.warning] : theme[.text]),
            Table.Item(waiting, lock.waiters > 0 ? theme[.text] : theme[.muted]),
            Table.Item(lock.changesPerHour > 0 ? String(Int(lock.changesPerHour)) : "0", theme[.muted]),
            Table.Item(why, lock.status == .passing ? theme[.muted] : theme.style(for: lock.status)),
        ]
    }

    private static func waiterRow(_ waiter: LockSnapshot.Waiter, lock: LockSnapshot, now: Date, theme: Theme) -> [Table.Item] {
        [
            Table.Item("", theme[.text]),
            Table.Item("  ↳ waits", theme[.muted]),
            Table.Item("", theme[.text]),
            Table.Item(waiter.node ?? waiter.value, theme[.text]),
            Table.Item("", theme[.text]),
            Table.Item("", theme[.text]),
            Table.Item(Format.ago(waiter.since, now: now), theme[.text]),
            Table.Item("", theme[.text]),
            Table.Item(waiter.key, theme[.muted]),
        ]
    }
}
