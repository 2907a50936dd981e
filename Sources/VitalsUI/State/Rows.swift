import Foundation
import VitalsCore

/// The rows of the list panes, filtered: pure functions of the snapshot.
public enum Rows {
    public static func id(of service: ServiceSnapshot) -> String { "\(service.node)/\(service.name)" }

    public static func services(_ snapshot: ClusterSnapshot, filter: String, worstFirst: Bool = false) -> [ServiceSnapshot] {
        let rows = filter.isEmpty ? snapshot.services : snapshot.services.filter { matches(filter, [$0.name, $0.node, $0.status.rawValue]) }
        return worstFirst ? worstFirstOrder(rows, status: \.status) : rows
    }

    public static func nodes(_ snapshot: ClusterSnapshot, filter: String, worstFirst: Bool = false) -> [NodeSnapshot] {
        let rows = filter.isEmpty ? snapshot.nodes : snapshot.nodes.filter { matches(filter, [$0.name, $0.address, $0.status.rawValue] + $0.services) }
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

    private static func matches(_ filter: String, _ fields: [String]) -> Bool {
        fields.contains { $0.range(of: filter, options: .caseInsensitive) != nil }
    }
}
