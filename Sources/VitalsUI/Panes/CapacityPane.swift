import Foundation
import VitalsCore

/// Replica advice per service with a scaling policy: instances now → advised, the metric against
/// its target, the advice over time, and why — the HPA's arithmetic in words.
public enum CapacityPane {
    public static func draw(into screen: inout Screen, rect: Rect, snapshot: ClusterSnapshot, state: AppState, theme: Theme) {
        let rows = state.capacityRows(snapshot)
        let selected = state.selection[.capacity] ?? rows.first?.service
        let table = Table(
            columns: [
                .name("SERVICE", 8...24), .value("REPLICAS", 8...12), .value("READY", 5...5, right: true, drop: 2), .value("METRIC", 6...14, drop: 3),
                .value("NOW", 6...9, right: true), .value("TARGET", 6...9, right: true, drop: 1), .value("ADVICE", 8...24, drop: 2),
                .reason("WHY", minimum: 24),
            ],
            rowCount: rows.count,
            selected: state.highlightsSelection ? rows.firstIndex { $0.service == selected } ?? (rows.isEmpty ? nil : 0) : nil,
            scrollTop: state.scrollTop[.capacity] ?? 0,
            sort: nil
        ) { index in
            let advice = rows[index]
            let change = advice.desired == advice.current
                ? "\(advice.current)"
                : "\(advice.current) → \(advice.desired)" + (advice.desired > advice.current ? " ▲" : " ▼")
            let style = advice.scaling ? theme[.maintenance] : advice.wantsChange ? theme[.warning] : theme[.passing]
            let top = Double(max(advice.maxReplicas, advice.history.max() ?? 1))
            let spark = Format.sparkline(advice.history.map(Double.init), width: 24, ascii: !state.unicodeGraphs, top: top)
            let why = (advice.scaling ? "scaling… " : "") + (advice.autoscale ? "autoscale · " : "") + advice.reason
                + (advice.lastAction.map { " · last: \($0)" } ?? "")
            return [
                Table.Item(advice.service, theme[.title]),
                Table.Item(change, style),
                Table.Item("\(advice.ready)/\(advice.current)", advice.ready < advice.current ? theme[.warning] : theme[.text]),
                Table.Item(advice.metric, theme[.muted]),
                Table.Item(advice.value.map { CapacityAdvisor.number($0) + advice.unit } ?? "-", theme[.text]),
                Table.Item(CapacityAdvisor.number(advice.target) + advice.unit, theme[.muted]),
                Table.Item(spark, theme[.sparkline]),
                Table.Item(why, theme[.text]),
            ]
        }
        let empty = state.filter.isEmpty
            ? "no scaling policies: add scaling: { policies: [{ service, metric: cpu, target: 60, max_replicas }] } to the cluster file"
            : "no advice matches '\(state.filter)'"
        table.draw(into: &screen, rect: rect, theme: theme, emptyMessage: empty)
    }
}
