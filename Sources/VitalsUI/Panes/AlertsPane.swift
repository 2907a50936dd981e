import Foundation
import VitalsCore

/// Alerts grouped by rule and service, worst first, root causes above their folded symptoms;
/// or the history of resolved alerts; or the silences.
public enum AlertsPane {
    public static func draw(into screen: inout Screen, rect: Rect, snapshot: ClusterSnapshot, state: AppState, theme: Theme) {
        let rows = state.alertRows(snapshot)
        let selectedID = state.selection[.alerts] ?? rows.first?.id
        let selected = state.highlightsSelection ? rows.firstIndex { $0.id == selectedID } ?? (rows.isEmpty ? nil : 0) : nil
        let table: Table
        // While a silence is being asked for, the rows it would silence say so.
        var pending: SilenceSnapshot?
        if case .silence(let matchers) = state.prompt?.purpose {
            pending = SilenceSnapshot(id: "", matchers: matchers, startsAt: snapshot.time, endsAt: snapshot.time, createdBy: "", comment: "")
        }
        switch state.alertView {
        case .active:
            table = Table(columns: [
                .value("SEV", 4...12), .value("STATE", 5...9, drop: 2), .name("ALERT", 10...28), .name("WHERE", 8...40),
                .value("AGE", 3...6, right: true, drop: 1), .reason("WHAT", minimum: 20),
            ], rowCount: rows.count, selected: selected, scrollTop: state.scrollTop[.alerts] ?? 0, sort: state.sort[.alerts]) { index in
                activeRow(rows[index], now: snapshot.time, theme: theme, pending: pending)
            }
        case .history:
            table = Table(columns: [
                .value("RESOLVED", 6...10, right: true, drop: 2), .value("SEV", 4...6), .name("ALERT", 10...28), .name("WHERE", 8...40),
                .value("LASTED", 6...7, right: true, drop: 1), .reason("ACK · SUMMARY", minimum: 20),
            ], rowCount: rows.count, selected: selected, scrollTop: state.scrollTop[.alerts] ?? 0, sort: state.sort[.alerts]) { index in
                historyRow(rows[index], now: snapshot.time, theme: theme)
            }
        case .silences:
            table = Table(columns: [
                .value("STATE", 6...6), .name("MATCHERS", 16...90), .value("ENDS", 4...10, right: true, drop: 1),
                .name("BY", 4...16), .reason("COMMENT", minimum: 12),
            ], rowCount: rows.count, selected: selected, scrollTop: state.scrollTop[.alerts] ?? 0, sort: state.sort[.alerts]) { index in
                silenceRow(rows[index], now: snapshot.time, theme: theme)
            }
        }
        let empty: String = switch state.alertView {
        case .active: state.filter.isEmpty ? "no alerts: all quiet (v shows the history and the silences)" : "no alert matches '\(state.filter)'"
        case .history: "no resolved alerts yet"
        case .silences: "no silences (s on an alert silences it)"
        }
        table.draw(into: &screen, rect: rect, theme: theme, emptyMessage: empty)
    }

    static func severityStyle(_ severity: AlertSeverity, theme: Theme) -> Style {
        switch severity {
        case .critical: theme[.critical]
        case .warning: theme[.warning]
        case .info: theme[.text]
        }
    }

    static func severityWord(_ severity: AlertSeverity) -> String {
        switch severity {
        case .critical: "CRIT"
        case .warning: "WARN"
        case .info: "info"
        }
    }

    /// The state of a row in words (never colour alone): firing, pending, acked, silenced.
    static func stateWord(_ alerts: [AlertSnapshot]) -> String {
        guard !alerts.isEmpty else { return "" }
        if alerts.allSatisfy(\.isSilenced) { return "silenced" }
        if alerts.allSatisfy(\.isAcknowledged) { return "acked" }
        let acked = alerts.filter(\.isAcknowledged).count
        if acked > 0 { return "\(acked)/\(alerts.count) ack" }
        return alerts.contains { $0.state == .firing } ? "firing" : "pending"
    }

    private static func activeRow(_ row: AlertRow, now: Date, theme: Theme, pending: SilenceSnapshot? = nil) -> [Table.Item] {
        let alerts = row.alerts
        guard let first = alerts.first else { return [] }
        let severity = alerts.map(\.severity).max() ?? first.severity
        let previewed = pending.map { silence in alerts.contains { silence.matches($0.labels) } } ?? false
        let word = previewed ? "→ silence" : stateWord(alerts)
        let calm = word == "acked" || word == "silenced"
        let stateStyle = previewed ? theme[.maintenance] : calm ? theme[.muted] : word == "pending" ? theme[.unknown] : severityStyle(severity, theme: theme)
        var marker = ""
        if case .group(let symptoms) = row.kind, alerts.count > 1 || !symptoms.isEmpty { marker = row.isExpanded ? "▾ " : "▸ " }
        let indent = String(repeating: "  ", count: row.depth) + (row.depth > 0 ? "↳ " : "")
        let name = row.kind == .member ? "· \(first.node ?? first.id)" : first.name
        var place: String
        if row.kind == .member {
            place = first.node ?? ""
        } else if alerts.count > 1 {
            place = "\(row.subject) ×\(alerts.count)"
        } else {
            place = [first.service, first.node].compactMap { $0 }.joined(separator: " @ ")
        }
        if place.isEmpty { place = "-" }
        var what: String
        var whatStyle = calm ? theme[.muted] : theme[.text]
        if let by = alerts.first(where: \.isAcknowledged)?.acknowledgedBy, calm || row.kind == .member {
            let comment = alerts.first(where: \.isAcknowledged)?.comment ?? ""
            what = "✓ \(by)" + (comment.isEmpty ? "" : ": \(comment)")
        } else {
            what = first.summary
        }
        if case .group(let symptoms) = row.kind, !symptoms.isEmpty, !row.isExpanded {
            var services: [String] = []
            for symptom in symptoms where !services.contains(symptom.service ?? symptom.node ?? "?") {
                services.append(symptom.service ?? symptom.node ?? "?")
            }
            what = "root cause of \(symptoms.count): \(services.joined(separator: ", ")) · " + what
            if !calm { whatStyle = theme[.title] }
        }
        let oldest = alerts.map(\.since).min()
        return [
            Table.Item(indent + severityWord(severity), severityStyle(severity, theme: theme)),
            Table.Item(word, stateStyle),
            Table.Item(indent.isEmpty ? marker + name : name, row.depth == 0 ? theme[.title] : theme[.text]),
            Table.Item(place, theme[.muted]),
            Table.Item(Format.ago(oldest, now: now), theme[.muted]),
            Table.Item(what, whatStyle),
        ]
    }

    private static func historyRow(_ row: AlertRow, now: Date, theme: Theme) -> [Table.Item] {
        guard let alert = row.alerts.first else { return [] }
        let lasted = alert.resolvedAt.map { Duration.seconds(max(0, $0.timeIntervalSince(alert.since))).goString } ?? "-"
        var what = alert.summary
        if let by = alert.acknowledgedBy { what = "✓ \(by)" + ((alert.comment ?? "").isEmpty ? "" : ": \(alert.comment ?? "")") + " · " + what }
        let place = [alert.service, alert.node].compactMap { $0 }.joined(separator: " @ ")
        return [
            Table.Item(Format.ago(alert.resolvedAt, now: now) + " ago", theme[.muted]),
            Table.Item(severityWord(alert.severity), severityStyle(alert.severity, theme: theme)),
            Table.Item(alert.name, theme[.text]),
            Table.Item(place.isEmpty ? "-" : place, theme[.muted]),
            Table.Item(lasted, theme[.text]),
            Table.Item(what, theme[.muted]),
        ]
    }

    private static func silenceRow(_ row: AlertRow, now: Date, theme: Theme) -> [Table.Item] {
        guard case .silence(let silence) = row.kind else { return [] }
        let active = silence.isActive(at: now)
        let ends = active ? "in " + Duration.seconds(max(0, silence.endsAt.timeIntervalSince(now))).goString : Format.ago(silence.endsAt, now: now) + " ago"
        return [
            Table.Item(active ? "active" : "ended", active ? theme[.maintenance] : theme[.muted]),
            Table.Item(silence.matcherText, theme[.text]),
            Table.Item(ends, theme[.muted]),
            Table.Item(silence.createdBy, theme[.text]),
            Table.Item(silence.comment, theme[.muted]),
        ]
    }
}
