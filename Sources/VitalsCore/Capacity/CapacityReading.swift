import Foundation

extension CapacityReading {
    /// What `policy`'s metric says now, per instance of its service in `snapshot` (ready: every
    /// check passing; maintenance counts as not ready), or as a total for an expression whose
    /// result is not labelled by node.
    public static func read(_ policy: ScalingPolicy, snapshot: ClusterSnapshot, series: some AlertSeriesSource, expression: AlertExpression? = nil) -> CapacityReading {
        read(policy, index: Index(snapshot), series: series, expression: expression)
    }

    /// A snapshot's instances by service and nodes by name, made once for every policy.
    public struct Index: Sendable {
        let instances: [String: [ServiceSnapshot]]
        let nodes: [String: NodeSnapshot]

        public init(_ snapshot: ClusterSnapshot) {
            instances = Dictionary(grouping: snapshot.services, by: \.name)
            nodes = Dictionary(snapshot.nodes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    public static func read(_ policy: ScalingPolicy, index: Index, series: some AlertSeriesSource, expression: AlertExpression? = nil) -> CapacityReading {
        let instances = index.instances[policy.service] ?? []
        let nodes = index.nodes
        func metrics(_ node: String) -> NodeMetrics? {
            guard let metrics = nodes[node]?.metrics, metrics.scrapeError == nil else { return nil }
            return metrics
        }
        let value: (ServiceSnapshot) -> Double?
        switch policy.metric {
        case .cpu:
            value = { metrics($0.node)?.cpu.map { $0 * 100 } }
        case .requestRate:
            value = { metrics($0.node)?.requestRate }
        case .latencyP95:
            value = { instance in
                let latencies = instance.checks.flatMap { $0.latencies.compactMap { $0 } }.sorted()
                guard !latencies.isEmpty else { return nil }
                // Nearest rank.
                return latencies[min(latencies.count - 1, Int((0.95 * Double(latencies.count)).rounded(.up)) - 1)]
            }
        case .expression(let text):
            guard let parsed = expression ?? (try? AlertExpression(parsing: text)) else {
                return .perInstance(instances.map { .init($0.node, ready: $0.status == .passing, value: nil) })
            }
            let samples: [AlertSample]
            switch parsed.evaluate(series) {
            case .vector(let vector): samples = vector.filter { $0.value.isFinite }
            case .scalar(let number): samples = number.isFinite ? [AlertSample(labels: AlertLabels(), value: number)] : []
            }
            let byNode = samples.filter { $0.labels["node"] != nil && ($0.labels["service"] == nil || $0.labels["service"] == policy.service) }
            guard byNode.isEmpty, !samples.isEmpty else {
                var values: [String: Double] = [:]
                for sample in byNode { if let node = sample.labels["node"] { values[node, default: 0] += sample.value } }
                value = { values[$0.node] }
                break
            }
            let ready = instances.filter { $0.status == .passing }.count
            return .total(samples.map(\.value).reduce(0, +), current: instances.count, ready: ready)
        }
        return .perInstance(instances.map { .init($0.node, ready: $0.status == .passing, value: value($0)) })
    }
}
