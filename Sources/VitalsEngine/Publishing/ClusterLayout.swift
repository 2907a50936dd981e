import VitalsCore

/// Where every check, service and node of a cluster file sits in a snapshot, by number, so the
/// engine keeps its state in arrays and patches a snapshot in place instead of searching it.
///
/// Checks are numbered in file order: each node's own checks, then each of its services' checks.
public struct ClusterLayout: Sendable {
    /// Where a check's result goes in a snapshot.
    public enum Place: Sendable, Equatable {
        /// `nodes[node].checks[position]`
        case node(Int, position: Int)
        /// `services[service].checks[position]`
        case service(Int, position: Int)
    }

    public let checkIDs: [CheckID]
    public let checkConfigs: [CheckConfig]
    public let places: [Place]
    /// The node each service instance runs on, by service number.
    public let nodeOfService: [Int]
    /// The service numbers of each node.
    public let servicesOfNode: [[Int]]
    /// The check numbers of each node's own checks and of each service's checks.
    public let checksOfNode: [[Int]]
    public let checksOfService: [[Int]]

    /// The check numbers of node `node`'s own checks, then of its services' checks.
    public func allChecks(ofNode node: Int) -> [Int] {
        checksOfNode[node] + servicesOfNode[node].flatMap { checksOfService[$0] }
    }

    public init(_ config: ClusterConfig) {
        var ids: [CheckID] = [], configs: [CheckConfig] = [], places: [Place] = []
        var nodeOfService: [Int] = [], servicesOfNode: [[Int]] = [], checksOfNode: [[Int]] = [], checksOfService: [[Int]] = []
        for (nodeIndex, node) in config.nodes.enumerated() {
            var own: [Int] = []
            for (position, check) in node.checks.enumerated() {
                own.append(ids.count)
                ids.append(CheckID(node: node.name, service: nil, check: check.name))
                configs.append(check)
                places.append(.node(nodeIndex, position: position))
            }
            checksOfNode.append(own)
            var services: [Int] = []
            for service in node.services {
                let serviceIndex = nodeOfService.count
                services.append(serviceIndex)
                nodeOfService.append(nodeIndex)
                var checks: [Int] = []
                for (position, check) in service.checks.enumerated() {
                    checks.append(ids.count)
                    ids.append(CheckID(node: node.name, service: service.name, check: check.name))
                    configs.append(check)
                    places.append(.service(serviceIndex, position: position))
                }
                checksOfService.append(checks)
            }
            servicesOfNode.append(services)
        }
        checkIDs = ids
        checkConfigs = configs
        self.places = places
        self.nodeOfService = nodeOfService
        self.servicesOfNode = servicesOfNode
        self.checksOfNode = checksOfNode
        self.checksOfService = checksOfService
    }

    public var checkCount: Int { checkIDs.count }
}
