import Foundation
import VitalsCore

/// The rows of the list panes, filtered: pure functions of the snapshot.
public enum Rows {
    public static func id(of service: ServiceSnapshot) -> String { "\(service.node)/\(service.name)" }

    /// Services matching `filter` (in any field shown, the output too), in the file's order,
    /// worst first, or sorted by a column.
    public static func services(_ snapshot: ClusterSnapshot, filter: String, worstFirst: Bool = false, sort: Table.SortMark? = nil) -> [ServiceSnapshot] {
        let filter = RowFilter(filter)
        let rows = filter.isEmpty ? snapshot.services : snapshot.services.filter { service in
            filter.matches([service.name, service.node, service.status.rawValue] + service.checks.map(\.output))
        }
        if sort != nil { return sorted(rows, by: sort, columns: serviceColumns(now: snapshot.time)) }
        return worstFirst ? worstFirstOrder(rows, status: \.status) : rows
    }

    public static func nodes(_ snapshot: ClusterSnapshot, filter: String, worstFirst: Bool = false, sort: Table.SortMark? = nil) -> [NodeSnapshot] {
        let filter = RowFilter(filter)
        let rows = filter.isEmpty ? snapshot.nodes : snapshot.nodes.filter { filter.matches([$0.name, $0.address, $0.status.rawValue] + $0.services) }
        if sort != nil { return sorted(rows, by: sort, columns: nodeColumns) }
        return worstFirst ? worstFirstOrder(rows, status: \.status) : rows
    }

    /// A stable sort by the attention a status needs, worst first and maintenance last, so rows
    /// of equal status keep the file's order.
    private static func worstFirstOrder<Row>(_ rows: [Row], status: (Row) -> Status) -> [Row] {
        rows.enumerated().sorted { a, b in
            let (sa, sb) = (status(a.element).attention, status(b.element).attention)
            return sa != sb ? sa > sb : a.offset < b.offset
        }.map(\.element)
    }
}
