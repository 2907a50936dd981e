import Foundation
import VitalsCore

/// One row of the Alerts pane: a group of alerts (same rule, same service or node), one alert
/// of an unfolded group, a resolved alert, or a silence.
public struct AlertRow: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Alerts of one rule about one service (or node); `symptoms` are the alerts downstream
        /// of this group's failure, folded under it.
        case group(symptoms: [AlertSnapshot])
        case member
        case resolved
        case silence(SilenceSnapshot)
    }

    /// Stable identity for the selection: `group:NAME|SUBJECT`, `alert:ID`, `history:ID@END`, `silence:ID`.
    public var id: String
    public var kind: Kind
    /// 0 for a root, 1 under it, 2 for a member of a symptom group.
    public var depth: Int
    /// The alerts the row stands for (one for a member or a resolved alert, none for a silence).
    public var alerts: [AlertSnapshot]
    public var isExpanded: Bool

    /// The alerts an action on this row touches: a folded root group takes its symptoms along.
    public var targets: [AlertSnapshot] {
        if case .group(let symptoms) = kind, !isExpanded { return alerts + symptoms }
        return alerts
    }

    /// What the group is about: its service, or its node for a node-wide alert.
    public var subject: String {
        guard let first = alerts.first else { return "" }
        return first.service ?? first.node ?? ""
    }
}

/// What the Alerts pane lists.
public enum AlertView: String, Sendable, CaseIterable {
    case active, history, silences
}

extension Rows {
    static func groupKey(_ alert: AlertSnapshot) -> String { "\(alert.name)|\(alert.service ?? alert.node ?? "")" }

    /// The rows of the Alerts pane in `view`: for active alerts, groups of (alertname, service)
    /// ordered by severity then age, each root group followed (when unfolded) by its members and
    /// by the groups of its symptoms.
    public static func alerts(_ snapshot: ClusterSnapshot, view: AlertView, filter: String, expanded: Set<String>, sort: Table.SortMark? = nil) -> [AlertRow] {
        let filter = RowFilter(filter)
        let columns = alertColumns(view: view, now: snapshot.time)
        switch view {
        case .history:
            let rows = snapshot.alertHistory
                .filter { matches(filter, alert: $0) }
                .map { alert in
                    // The same alert resolves many times: its end time tells the entries apart.
                    let id = "history:\(alert.id)@\(alert.resolvedAt?.timeIntervalSince1970 ?? 0)"
                    return AlertRow(id: id, kind: .resolved, depth: 0, alerts: [alert], isExpanded: false)
                }
            return sorted(rows, by: sort, columns: columns)
        case .silences:
            let rows = snapshot.silences.sorted { a, b in
                let (activeA, activeB) = (a.isActive(at: snapshot.time), b.isActive(at: snapshot.time))
                return activeA != activeB ? activeA : a.endsAt > b.endsAt
            }
            .filter { filter.matches([$0.matcherText, $0.comment, $0.createdBy]) }
            .map { AlertRow(id: "silence:\($0.id)", kind: .silence($0), depth: 0, alerts: [], isExpanded: false) }
            return sorted(rows, by: sort, columns: columns)
        case .active:
            // Sorting moves whole groups: a root keeps its members and symptoms under it.
            let blocks = activeRows(snapshot, filter: filter, expanded: expanded)
            guard sort != nil else { return blocks.flatMap { $0 } }
            return sorted(blocks, by: sort, columns: columns.map { column in
                SortColumn(title: column.title, descendingFirst: column.descendingFirst) { block in block.first.flatMap(column.key) }
            }).flatMap { $0 }
        }
    }

    /// The active rows in blocks: each root group with what unfolds under it.
    private static func activeRows(_ snapshot: ClusterSnapshot, filter: RowFilter, expanded: Set<String>) -> [[AlertRow]] {
        let alerts = snapshot.alerts.filter { matches(filter, alert: $0) }
        let byID = Dictionary(alerts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var groups: [String: [AlertSnapshot]] = [:]
        var order: [String] = []
        for alert in alerts {
            let key = groupKey(alert)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(alert)
        }
        // A group is a symptom group when every alert in it has a root cause that is listed; it
        // goes under the group of the first member's root.
        var symptomGroupsOf: [String: [String]] = [:]
        var roots: [String] = []
        for key in order {
            let members = groups[key] ?? []
            if let root = members.first?.rootCause.flatMap({ byID[$0] }), members.allSatisfy({ $0.rootCause.flatMap { byID[$0] } != nil }) {
                symptomGroupsOf[groupKey(root), default: []].append(key)
            } else {
                roots.append(key)
            }
        }
        // Severity, then firing before pending, then the oldest first: the order of `snapshot.alerts`.
        var blocks: [[AlertRow]] = []
        for key in roots {
            var rows: [AlertRow] = []
            defer { blocks.append(rows) }
            let members = groups[key] ?? []
            let symptomKeys = symptomGroupsOf[key] ?? []
            let symptoms = symptomKeys.flatMap { groups[$0] ?? [] }
            let id = "group:\(key)"
            let isExpanded = expanded.contains(id)
            rows.append(AlertRow(id: id, kind: .group(symptoms: symptoms), depth: 0, alerts: members, isExpanded: isExpanded))
            guard isExpanded else { continue }
            if members.count > 1 {
                rows += members.map { AlertRow(id: "alert:\($0.id)", kind: .member, depth: 1, alerts: [$0], isExpanded: false) }
            }
            for symptomKey in symptomKeys {
                let symptomMembers = groups[symptomKey] ?? []
                let symptomID = "group:\(symptomKey)"
                let open = expanded.contains(symptomID)
                rows.append(AlertRow(id: symptomID, kind: .group(symptoms: []), depth: 1, alerts: symptomMembers, isExpanded: open))
                if open, symptomMembers.count > 1 {
                    rows += symptomMembers.map { AlertRow(id: "alert:\($0.id)", kind: .member, depth: 2, alerts: [$0], isExpanded: false) }
                }
            }
        }
        return blocks
    }

    private static func matches(_ filter: RowFilter, alert: AlertSnapshot) -> Bool {
        filter.matches([alert.name, alert.service ?? "", alert.node ?? "", alert.severity.rawValue, alert.state.rawValue, alert.summary])
    }
}

extension ClusterSnapshot {
    /// Firing alerts, and how many of them still need a person (not acknowledged, not silenced).
    public var alertCounts: (firing: Int, unacknowledged: Int) {
        var firing = 0, open = 0
        for alert in alerts where alert.state == .firing {
            firing += 1
            if alert.needsAttention { open += 1 }
        }
        return (firing, open)
    }
}
