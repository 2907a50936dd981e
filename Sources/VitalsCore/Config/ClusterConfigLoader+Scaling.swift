import Foundation
import Yams

extension ClusterReader {
    static let scalingMetrics = ["cpu", "request_rate", "latency_p95"]

    /// `scaling: { interval: 15s, policies: [{ service, metric | expr, target, min_replicas, … }] }`.
    func scaling(_ node: Node, services: [String]) -> ScalingConfig {
        var config = ScalingConfig()
        guard let fields = reader.mapping(node, "scaling", allowed: ["interval", "policies"]) else { return config }
        if let interval = fields.duration("interval", floor: .seconds(1)) { config.interval = interval }
        let items = fields.sequence("policies") ?? []
        config.policies = items.compactMap { scalingPolicy($0, services: services) }
        var seen = Set<String>()
        for item in items {
            guard let node = item.mapping?["service"], let name = node.string else { continue }
            if !seen.insert(name).inserted { reader.error(at: node, "a second scaling policy for '\(name.sanitizedForTerminal)': one per service") }
        }
        return config
    }

    private func scalingPolicy(_ item: Node, services: [String]) -> ScalingPolicy? {
        guard let fields = reader.mapping(item, "a scaling policy", allowed: [
            "service", "metric", "expr", "target", "min_replicas", "max_replicas", "tolerance", "scale_up", "scale_down",
            "scale_command", "command_timeout", "autoscale",
        ]) else { return nil }
        let service = fields.string("service", required: true)
        if let service, !services.contains(service) {
            var message = "scaling policy for '\(service.sanitizedForTerminal)', which no node of the file runs"
            if let guess = didYouMean(service, among: services) { message += " (did you mean '\(guess)'?)" }
            reader.error(at: fields.value("service"), message)
        }
        var metric: ScalingPolicy.Metric?
        switch (fields.string("metric"), fields.string("expr")) {
        case (let word?, nil):
            switch word {
            case "cpu": metric = .cpu
            case "request_rate": metric = .requestRate
            case "latency_p95": metric = .latencyP95
            default:
                var message = "metric '\(word.sanitizedForTerminal)' of a scaling policy must be \(Self.scalingMetrics.joined(separator: ", ")), or give 'expr'"
                if let guess = didYouMean(word, among: Self.scalingMetrics) { message += " (did you mean '\(guess)'?)" }
                reader.error(at: fields.value("metric"), message)
            }
        case (nil, let text?):
            guard let exprNode = fields.value("expr") else { break }
            do {
                let expression = try AlertExpression(parsing: text)
                if expression.isVector {
                    metric = .expression(text)
                    for (name, _) in expression.selectors where !SnapshotSeries.names.contains(name) {
                        var message = "scaling policy '\(service ?? "?")': '\(name)' is not one of Vitals' series; it is read from each node's scraped metrics"
                        if let guess = didYouMean(name, among: SnapshotSeries.names) { message += " (did you mean '\(guess)'?)" }
                        reader.warning(at: exprNode, message)
                    }
                } else {
                    reader.error(at: exprNode, "scaling policy '\(service ?? "?")': the expression is a plain number; it needs a series such as node_cpu")
                }
            } catch {
                reader.error(at: exprNode, offset: error.offset, "scaling policy '\(service ?? "?")': \(error.message)")
            }
        case (.some, .some):
            reader.error(at: fields.keyNode("expr"), "a scaling policy has either 'metric' or 'expr', not both")
        case (nil, nil):
            reader.error(at: fields.node, "a scaling policy needs 'metric' (\(Self.scalingMetrics.joined(separator: ", "))) or 'expr'")
        }
        var target: Double?
        if let value = fields.value("target") {
            if let number = value.scalar.flatMap({ Double($0.string) }), number > 0, number.isFinite {
                target = number
            } else {
                reader.error(at: value, "'target' in a scaling policy must be a number above 0 (percent for cpu, requests/s, ms)")
            }
        } else {
            fields.missing("target")
        }
        let minReplicas = fields.int("min_replicas", in: 0...100_000) ?? 1
        let maxReplicas = fields.int("max_replicas", in: 1...100_000)
        if maxReplicas == nil, !fields.has("max_replicas") { fields.missing("max_replicas") }
        if let maxReplicas, minReplicas > maxReplicas {
            reader.error(at: fields.value("min_replicas") ?? fields.node, "min_replicas \(minReplicas) is above max_replicas \(maxReplicas)")
        }
        guard let service, let metric, let target, let maxReplicas, minReplicas <= maxReplicas else { return nil }
        var policy = ScalingPolicy(service: service, metric: metric, target: target, minReplicas: minReplicas, maxReplicas: maxReplicas)
        if let value = fields.value("tolerance") {
            if let number = value.scalar.flatMap({ Double($0.string) }), (0..<1).contains(number) {
                policy.tolerance = number
            } else {
                reader.error(at: value, "'tolerance' in a scaling policy must be a number from 0 up to (not including) 1, like 0.1")
            }
        }
        if let node = fields.value("scale_up") { policy.scaleUp = behavior(node, "scale_up", default: .defaultUp) }
        if let node = fields.value("scale_down") { policy.scaleDown = behavior(node, "scale_down", default: .defaultDown) }
        if let argv = fields.stringList("scale_command") {
            if argv.isEmpty { reader.error(at: fields.value("scale_command"), "'scale_command' needs a program to run") }
            policy.scaleCommand = argv.map(\.0)
        }
        if let timeout = fields.duration("command_timeout", floor: .milliseconds(100)) { policy.commandTimeout = timeout }
        policy.autoscale = fields.bool("autoscale") ?? false
        return policy
    }

    private func behavior(_ node: Node, _ what: String, default base: ScalingPolicy.Behavior) -> ScalingPolicy.Behavior {
        var result = base
        guard let fields = reader.mapping(node, what, allowed: ["stabilization", "max_step", "period"]) else { return result }
        if let window = fields.duration("stabilization", allowZero: true) { result.stabilization = window }
        if let step = fields.int("max_step", in: 1...100_000) { result.maxStep = step }
        if let period = fields.duration("period", floor: .seconds(1)) { result.period = period }
        return result
    }
}
