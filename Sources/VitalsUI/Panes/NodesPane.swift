import VitalsCore

/// Every node: address, status, load, traffic and the services it runs.
public enum NodesPane {
    public static func draw(into screen: inout Screen, rect: Rect, snapshot: ClusterSnapshot, state: AppState, theme: Theme) {
        let nodes = Rows.nodes(snapshot, filter: state.filter, worstFirst: state.worstFirst)
        let selectedName = state.selection[.nodes] ?? nodes.first?.name
        let row = { (index: Int) -> [Table.Item] in
            let node = nodes[index]
            let metrics = node.metrics
            let cpuStyle = (metrics.cpu ?? 0) > 0.85 ? theme[.warning] : theme[.text]
            let errorStyle = (metrics.errorRatio ?? 0) > 0.05 ? theme[.critical] : theme[.text]
            var services = node.services.joined(separator: ", ")
            if let note = state.nodeNotes[node.name] { services = "[\(note)] " + services }
            return [
                Table.Item(node.name, theme[.text]),
                Table.Item(node.address, theme[.muted]),
                Table.Item(Format.status(node.status), theme.style(for: node.status)),
                Table.Item(Format.percent(metrics.cpu), cpuStyle),
                Table.Item(Format.percent(metrics.memory), theme[.text]),
                Table.Item(Format.rate(metrics.requestRate), theme[.text]),
                Table.Item(Format.percent(metrics.errorRatio), errorStyle),
                Table.Item(services, state.nodeNotes[node.name] == nil ? theme[.muted] : theme[.warning]),
            ]
        }
        let table = Table(
            columns: [
                .init("NODE", width: 18), .init("ADDRESS", width: 15), .init("STATUS", width: 11),
                .init("CPU", width: 4, alignRight: true), .init("MEM", width: 4, alignRight: true),
                .init("REQ", width: 7, alignRight: true), .init("ERR", width: 4, alignRight: true),
                .init("SERVICES", width: nil),
            ],
            rowCount: nodes.count,
            selected: nodes.firstIndex { $0.name == selectedName },
            scrollTop: state.scrollTop[.nodes] ?? 0,
            row: row
        )
        let empty = state.filter.isEmpty ? "no nodes" : "no node matches '\(state.filter)'"
        table.draw(into: &screen, rect: rect, theme: theme, emptyMessage: empty)
    }
}
