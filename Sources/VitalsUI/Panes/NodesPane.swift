import VitalsCore

/// Every node: address, status, vital signs (CPU with its recent past, memory, the fullest disk,
/// load, network), traffic and the services it runs.
public enum NodesPane {
    public static func draw(into screen: inout Screen, rect: Rect, snapshot: ClusterSnapshot, state: AppState, theme: Theme) {
        let nodes = state.nodeRows(snapshot)
        let selectedName = state.selection[.nodes] ?? nodes.first?.name
        let row = { (index: Int) -> [Table.Item] in
            let node = nodes[index]
            let metrics = node.metrics
            // A node whose scrape fails keeps its last numbers: shown dimmed, and how old they are said.
            let stale = Format.stale(metrics, now: snapshot.time)
            let plain = stale == nil ? theme[.text] : theme[.muted]
            let cpuStyle = stale == nil && (metrics.cpu ?? 0) > 0.85 ? theme[.warning] : plain
            let errorStyle = stale == nil && (metrics.errorRatio ?? 0) > 0.05 ? theme[.critical] : plain
            var services = node.services.joined(separator: ", ")
            if let note = state.nodeNotes[node.name] { services = "[\(note)] " + services }
            if let origin = node.registered { services += " · registered by \(origin.by)" }
            if let stale { services = "numbers \(stale) · " + services }
            let disk = metrics.fullestDisk
            let diskStyle = stale != nil ? plain : (disk?.used ?? 0) > 0.9 ? theme[.critical] : (disk?.used ?? 0) > 0.8 ? theme[.warning] : theme[.text]
            let network = metrics.networkReceiveRate.map { $0 + (metrics.networkSendRate ?? 0) }
            let servicesStyle = stale != nil || state.nodeNotes[node.name] != nil ? theme[.warning] : theme[.muted]
            return [
                Table.Item(node.name, theme[.text]),
                Table.Item(node.address, theme[.muted]),
                Table.Item(Format.status(node.status), theme.style(for: node.status)),
                Table.Item(Format.percent(metrics.cpu), cpuStyle),
                // On one scale for every node, 0–100 %: a 17 % row never looks like an 89 % one.
                Table.Item(Format.sparkline(node.history.cpu, width: 8, ascii: !state.unicodeGraphs, top: 1), stale == nil ? theme[.sparkline] : plain),
                Table.Item(Format.percent(metrics.memory), plain),
                Table.Item(Format.percent(disk?.used), diskStyle),
                Table.Item(metrics.load1.map { String(format: "%.2f", $0) } ?? "-", plain),
                Table.Item(Format.byteRate(network), plain),
                Table.Item(Format.rate(metrics.requestRate), plain),
                Table.Item(Format.percent(metrics.errorRatio), errorStyle),
                Table.Item(services, servicesStyle),
            ]
        }
        let table = Table(
            columns: [
                .name("NODE", 8...24), .value("ADDRESS", 9...21, drop: 10), .value("STATUS", 9...13),
                .value("CPU", 4...4, right: true), .value("0–100%", 8...8, drop: 8), .value("MEM", 4...4, right: true, drop: 2),
                .value("DISK", 4...4, right: true, drop: 3), .value("LOAD", 4...5, right: true, drop: 7), .value("NET", 6...8, right: true, drop: 9),
                .value("REQ", 4...7, right: true, drop: 6), .value("ERR", 4...4, right: true, drop: 4),
                .reason("SERVICES", minimum: 10),
            ],
            rowCount: nodes.count,
            selected: nodes.firstIndex { $0.name == selectedName },
            scrollTop: state.scrollTop[.nodes] ?? 0,
            sort: state.sort[.nodes],
            row: row
        )
        let empty = state.filter.isEmpty ? "no nodes" : "no node matches '\(state.filter)'"
        table.draw(into: &screen, rect: rect, theme: theme, emptyMessage: empty)
    }
}
