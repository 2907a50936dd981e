import Foundation
import VitalsCore

/// One row of the Locks pane: a lock, or one of its waiters when the lock is unfolded.
public struct LockRow: Sendable, Equatable {
    /// `lock:NAME` or `waiter:NAME|KEY`.
    public var id: String
    public var lock: LockSnapshot
    /// The waiter this row shows, for a waiter row.
    public var waiter: LockSnapshot.Waiter?
    public var isExpanded: Bool
}

extension Rows {
    /// Locks worst first (then by name), each followed by its waiters when unfolded.
    public static func locks(_ snapshot: ClusterSnapshot, filter: String, expanded: Set<String>, sort: Table.SortMark? = nil) -> [LockRow] {
        let filter = RowFilter(filter)
        let worstFirst = snapshot.locks
            .filter { lock in
                filter.matches([lock.name, lock.holder ?? "", lock.holderNode ?? "", lock.status.rawValue, lock.kind.rawValue]
                    + lock.diagnoses + lock.queue.map { $0.node ?? $0.value })
            }
            .enumerated()
            .sorted { a, b in
                a.element.status.severity != b.element.status.severity ? a.element.status.severity > b.element.status.severity : a.offset < b.offset
            }
            .map(\.element)
        let locks = sorted(worstFirst, by: sort, columns: lockColumns(now: snapshot.time))
        var rows: [LockRow] = []
        for lock in locks {
            let id = "lock:\(lock.name)"
            let open = expanded.contains(id)
            rows.append(LockRow(id: id, lock: lock, waiter: nil, isExpanded: open))
            if open {
                rows += lock.queue.map { LockRow(id: "waiter:\(lock.name)|\($0.key)", lock: lock, waiter: $0, isExpanded: false) }
            }
        }
        return rows
    }
}
