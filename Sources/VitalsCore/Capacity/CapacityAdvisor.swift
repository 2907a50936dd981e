import Foundation

/// One service's advice, as the snapshot carries it (`capacity` in the JSON contract).
public struct CapacityAdvice: Sendable, Equatable, Codable {
    public var service: String
    /// Instances now, and how many of them pass their checks.
    public var current: Int
    public var ready: Int
    /// The count advised, after tolerance, stabilisation, step limits and min/max.
    public var desired: Int
    /// What is measured, in words ("CPU"), its unit, the ready instances' average and the target.
    public var metric: String
    public var unit: String
    public var value: Double?
    public var target: Double
    public var minReplicas: Int
    public var maxReplicas: Int
    /// The advice in words: "orders: CPU 86% vs target 60% → 3 replicas (was 2)".
    public var reason: String
    /// Advice over the last evaluations, oldest first (a sparkline's worth).
    public var history: [Int]
    /// Whether advice is applied without asking, and whether it can be applied at all (a
    /// `scale_command`, or the demo's simulator).
    public var autoscale: Bool
    public var canScale: Bool
    /// The last change made and how it went ("→ 4 by alice at 10:02:11: done"), if any.
    public var lastAction: String?
    /// A change under way (its command has not finished).
    public var scaling: Bool = false

    public init(
        service: String, current: Int, ready: Int, desired: Int, metric: String, unit: String, value: Double?, target: Double,
        minReplicas: Int, maxReplicas: Int, reason: String, history: [Int], autoscale: Bool, canScale: Bool
    ) {
        self.service = service
        self.current = current
        self.ready = ready
        self.desired = desired
        self.metric = metric
        self.unit = unit
        self.value = value
        self.target = target
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.reason = reason
        self.history = history
        self.autoscale = autoscale
        self.canScale = canScale
    }

    enum CodingKeys: String, CodingKey {
        case service, current, ready, desired, metric, unit, value, target, reason, history, autoscale, scaling
        case minReplicas = "min_replicas"
        case maxReplicas = "max_replicas"
        case canScale = "can_scale"
        case lastAction = "last_action"
    }

    /// Whether the advice differs from what runs.
    public var wantsChange: Bool { desired != current }
}

/// What one policy's metric gave this time.
public enum CapacityReading: Sendable, Equatable {
    /// A value per instance (or none), with readiness.
    case perInstance([ReplicaCalculator.Instance])
    /// A total for the service, with its instance counts.
    case total(Double?, current: Int, ready: Int)
}

/// Advice for every policy, kept over time: the stabilisers' windows and a short history each.
public struct CapacityAdvisor: Sendable {
    public let config: ScalingConfig
    private var stabilizers: [String: ScaleStabilizer] = [:]
    private var histories: [String: [Int]] = [:]
    private var actions: [String: String] = [:]
    /// How many past advices each service keeps.
    public static let historyLength = 60

    public init(config: ScalingConfig) {
        self.config = config
    }

    /// The same advisor under a new config (a reload, a registration): the windows, histories
    /// and last actions of services that still have a policy carry over.
    public func reconfigured(_ config: ScalingConfig) -> CapacityAdvisor {
        var next = CapacityAdvisor(config: config)
        let services = Set(config.policies.map(\.service))
        next.stabilizers = stabilizers.filter { services.contains($0.key) }
        next.histories = histories.filter { services.contains($0.key) }
        next.actions = actions.filter { services.contains($0.key) }
        return next
    }

    /// Advice for `policy` from `reading` at `now`. `canScale`: whether it can be applied.
    public mutating func advise(_ policy: ScalingPolicy, reading: CapacityReading, canScale: Bool, at now: Date) -> CapacityAdvice {
        let current: Int, ready: Int, raw: ReplicaCalculator.Result
        switch reading {
        case .perInstance(let instances):
            current = instances.count
            ready = instances.filter(\.ready).count
            raw = ReplicaCalculator.desired(current: current, instances: instances, target: policy.target, tolerance: policy.tolerance)
        case .total(let total, let count, let readyCount):
            current = count
            ready = readyCount
            raw = ReplicaCalculator.desired(current: count, ready: readyCount, total: total, target: policy.target, tolerance: policy.tolerance)
        }
        var stabilizer = stabilizers[policy.service] ?? ScaleStabilizer()
        let (desired, limit) = stabilizer.stabilize(recommendation: raw.desired, current: current, policy: policy, at: now)
        stabilizers[policy.service] = stabilizer
        var history = histories[policy.service] ?? []
        history.append(desired)
        if history.count > Self.historyLength { history.removeFirst(history.count - Self.historyLength) }
        histories[policy.service] = history
        var advice = CapacityAdvice(
            service: policy.service, current: current, ready: ready, desired: desired, metric: policy.metric.name, unit: policy.metric.unit,
            value: raw.value, target: policy.target, minReplicas: policy.minReplicas, maxReplicas: policy.maxReplicas,
            reason: Self.reason(policy, raw: raw, desired: desired, current: current, ready: ready, limit: limit), history: history,
            autoscale: policy.autoscale, canScale: canScale
        )
        advice.lastAction = actions[policy.service]
        return advice
    }

    /// A change was made (or tried): it counts against the step limits, and is said with the advice.
    public mutating func recordAction(service: String, from old: Int, to new: Int, succeeded: Bool, summary: String, at time: Date) {
        if succeeded { stabilizers[service, default: ScaleStabilizer()].recordChange(from: old, to: new, at: time) }
        actions[service] = summary
    }

    /// A value as the advice shows it: whole above 100 or when whole, else 3 significant digits.
    public static func number(_ value: Double) -> String {
        if value.isNaN || value.isInfinite { return "-" }
        if abs(value) >= 100 || value == value.rounded() { return String(Int(value.rounded())) }
        return abs(value) >= 10 ? String(format: "%.1f", value) : String(format: "%.2f", value)
    }

    static func reason(_ policy: ScalingPolicy, raw: ReplicaCalculator.Result, desired: Int, current: Int, ready: Int, limit: ScaleStabilizer.Limit?) -> String {
        let metric = policy.metric.name, unit = policy.metric.unit
        let replicas = { (n: Int) in n == 1 ? "1 replica" : "\(n) replicas" }
        guard let value = raw.value else {
            let why = ready == 0 ? "no ready instance (0 of \(current) pass their checks)" : "no \(metric) from any ready instance"
            return "\(policy.service): \(why): stays at \(current)" + (desired != current ? ", brought to \(replicas(desired)) by min/max" : "")
        }
        var text = "\(policy.service): \(metric) \(number(value))\(unit) vs target \(number(policy.target))\(unit)"
        switch raw.outcome {
        case .withinTolerance:
            text += " is within ±\(number(policy.tolerance * 100))%"
        case .heldByMissing:
            text += "; counting \(current - ready == 0 ? "the instances without a value" : "the \(current - ready) not ready") conservatively turns it round"
        case .scale, .noMetrics:
            if raw.desired != desired { text += " → \(raw.desired)" }
        }
        switch limit {
        case .scaleUpWindow(let lowest, let window)?: text += "; held by the \(window.goString) scale-up window (its lowest advice: \(lowest))"
        case .scaleDownWindow(let highest, let window)?: text += "; held by the \(window.goString) scale-down window (its highest advice: \(highest))"
        case .step(let step, let period)?: text += "; at most \(step) per \(period.goString)"
        case .minReplicas(let n)?: text += "; min_replicas \(n)"
        case .maxReplicas(let n)?: text += "; max_replicas \(n)"
        case nil: break
        }
        text += desired == current ? ": stays at \(current)" : " → \(replicas(desired)) (was \(current))"
        return text
    }
}

extension ClusterSnapshot {
    /// How many services' advice would change their replicas; nil when no service has a policy.
    public var capacityChanges: Int? { capacity.map { $0.filter(\.wantsChange).count } }
}
