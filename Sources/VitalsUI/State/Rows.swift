import Foundation
import VitalsCore

/// The rows of the list panes, filtered: pure functions of the snapshot.
public enum Rows {
    public static func id(of service: ServiceSnapshot) -> String { "\(service.node)/\(service.name)" }

    public static func services(_ snapshot: ClusterSnapshot, filter: String) -> [ServiceSnapshot] {
        guard !filter.isEmpty else { return snapshot.services }
        return snapshot.services.filter { matches(filter, [$0.name, $0.node, $0.status.rawValue]) }
    }

    public static func nodes(_ snapshot: ClusterSnapshot, filter: String) -> [NodeSnapshot] {
        guard !filter.isEmpty else { return snapshot.nodes }
        return snapshot.nodes.filter { matches(filter, [$0.name, $0.address, $0.status.rawValue] + $0.services) }
    }

    private static func matches(_ filter: String, _ fields: [String]) -> Bool {
        fields.contains { $0.range(of: filter, options: .caseInsensitive) != nil }
    }
}
