import VitalsCore

/// Every service instance: its node, status, checks passing, latency, time in this status, and
/// what its worst check says.
public enum ServicesPane {
    public static func draw(into screen: inout Screen, rect: Rect, snapshot: ClusterSnapshot, state: AppState, theme: Theme) {
        let services = state.serviceRows(snapshot)
        let selectedID = state.selection[.services] ?? services.first.map(Rows.id(of:))
        // Instances that registered themselves through the API are marked `+` before their node.
        let registered = Set(snapshot.nodes.lazy.filter { $0.registered != nil }.map(\.name))
        let row = { (index: Int) -> [Table.Item] in
            let service = services[index]
            let (passing, total) = service.passingCount
            let worst = service.checks.max { $0.status.severity < $1.status.severity }
            let note = service.status == .passing ? "" : worst.map(Format.brief) ?? ""
            return [
                Table.Item(service.name, theme[.text]),
                Table.Item(registered.contains(service.node) ? "+" + service.node : service.node, theme[.muted]),
                Table.Item(Format.status(service.status), theme.style(for: service.status)),
                Table.Item("\(passing)/\(total)", passing == total ? theme[.text] : theme.style(for: service.status)),
                Table.Item(Format.latency(service.latencyMs), theme[.text]),
                Table.Item(Format.ago(service.since, now: snapshot.time), theme[.muted]),
                Table.Item(note, theme.style(for: service.status)),
            ]
        }
        let table = Table(
            columns: [
                .name("SERVICE", 7...24), .name("NODE", 8...24), .value("STATUS", 9...13),
                .value("CHECKS", 6...6, right: true, drop: 3), .value("LATENCY", 7...8, right: true, drop: 2),
                .value("SINCE", 5...7, right: true, drop: 1), .reason("OUTPUT", minimum: 22),
            ],
            rowCount: services.count,
            selected: selectedID.flatMap { id in services.firstIndex { id.hasSuffix($0.name) && Rows.id(of: $0) == id } },
            scrollTop: state.scrollTop[.services] ?? 0,
            sort: state.sort[.services],
            row: row
        )
        let empty = state.filter.isEmpty ? "no services yet" : "no service matches '\(state.filter)'"
        table.draw(into: &screen, rect: rect, theme: theme, emptyMessage: empty)
    }
}
