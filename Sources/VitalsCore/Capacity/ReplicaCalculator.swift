import Foundation

/// The replica count the HPA's arithmetic gives (Kubernetes' `replica_calculator.go`):
/// `desired = ceil(ready × value / target)` from the ready instances' average, skipped inside the
/// tolerance band; when some instances are not ready or have no value, the average is taken again
/// counting them conservatively (no value as the target when going down, as 0 when going up;
/// not ready as 0 when going up), and nothing changes if that flips the direction or lands in the
/// band.
public enum ReplicaCalculator {
    public struct Instance: Sendable, Equatable {
        public var name: String
        /// Passing its checks (the HPA's "ready").
        public var ready: Bool
        /// Its metric value, when there is one.
        public var value: Double?

        public init(_ name: String, ready: Bool = true, value: Double?) {
            self.name = name
            self.ready = ready
            self.value = value
        }
    }

    public enum Outcome: Sendable, Equatable {
        /// A new count.
        case scale
        /// Within the tolerance band: the count stays.
        case withinTolerance
        /// Counting the instances without a value (or not ready) conservatively turned the
        /// direction round or landed in the band: the count stays.
        case heldByMissing
        /// No ready instance has a value: nothing to go on, the count stays.
        case noMetrics
    }

    public struct Result: Sendable, Equatable {
        public var desired: Int
        public var outcome: Outcome
        /// The ready instances' average (the value shown against the target), when there is one.
        public var value: Double?
        public var ratio: Double?
    }

    /// Per-instance values (the HPA's resource and pod metrics).
    public static func desired(current: Int, instances: [Instance], target: Double, tolerance: Double) -> Result {
        let ready = instances.filter { $0.ready && $0.value != nil }
        let unready = instances.filter { !$0.ready }
        let missing = instances.filter { $0.ready && $0.value == nil }
        guard !ready.isEmpty, target > 0 else { return Result(desired: current, outcome: .noMetrics, value: nil, ratio: nil) }
        let values = ready.compactMap(\.value)
        let average = values.reduce(0, +) / Double(values.count)
        let ratio = average / target
        let scaleUpWithUnready = !unready.isEmpty && ratio > 1
        if !scaleUpWithUnready && missing.isEmpty {
            if abs(1 - ratio) <= tolerance { return Result(desired: current, outcome: .withinTolerance, value: average, ratio: ratio) }
            return Result(desired: Int((ratio * Double(ready.count)).rounded(.up)), outcome: .scale, value: average, ratio: ratio)
        }
        var filled = values
        if !missing.isEmpty {
            // Going down: the missing ones as if at the target; going up: as if idle.
            if ratio < 1 { filled += Array(repeating: target, count: missing.count) } else if ratio > 1 { filled += Array(repeating: 0, count: missing.count) }
        }
        if scaleUpWithUnready { filled += Array(repeating: 0, count: unready.count) }
        let newRatio = filled.reduce(0, +) / Double(filled.count) / target
        if abs(1 - newRatio) <= tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1) {
            return Result(desired: current, outcome: .heldByMissing, value: average, ratio: ratio)
        }
        let replicas = Int((newRatio * Double(filled.count)).rounded(.up))
        if (newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current) {
            return Result(desired: current, outcome: .heldByMissing, value: average, ratio: ratio)
        }
        return Result(desired: replicas, outcome: .scale, value: average, ratio: ratio)
    }

    /// A total for the whole service (the HPA's external metric with an `AverageValue` target):
    /// `desired = ceil(total / target)`, unless `total / (target × ready)` is within the band.
    public static func desired(current: Int, ready: Int, total: Double?, target: Double, tolerance: Double) -> Result {
        guard let total, target > 0 else { return Result(desired: current, outcome: .noMetrics, value: nil, ratio: nil) }
        let perInstance = ready > 0 ? total / Double(ready) : total
        let ratio = total / (target * Double(max(1, ready)))
        if abs(1 - ratio) <= tolerance { return Result(desired: current, outcome: .withinTolerance, value: perInstance, ratio: ratio) }
        return Result(desired: Int((total / target).rounded(.up)), outcome: .scale, value: perInstance, ratio: ratio)
    }
}

/// The HPA's behaviours: the advice of the last `stabilization` seconds decides (the lowest of
/// them going up, the highest going down, so a spike or a dip does not move the count), then at
/// most `maxStep` replicas per period, then `min_replicas`…`max_replicas`.
public struct ScaleStabilizer: Sendable, Equatable {
    /// Raw advice, newest last, kept for the longest window.
    public private(set) var recommendations: [(time: Date, replicas: Int)] = []
    /// Changes made (by a person or autoscale), newest last.
    public private(set) var changes: [(time: Date, by: Int)] = []

    public init() {}

    public static func == (a: Self, b: Self) -> Bool {
        a.recommendations.elementsEqual(b.recommendations) { $0.time == $1.time && $0.replicas == $1.replicas }
            && a.changes.elementsEqual(b.changes) { $0.time == $1.time && $0.by == $1.by }
    }

    /// What limited the advice, if anything did.
    public enum Limit: Sendable, Equatable {
        case scaleUpWindow(lowest: Int, window: Duration)
        case scaleDownWindow(highest: Int, window: Duration)
        case step(Int, per: Duration)
        case minReplicas(Int)
        case maxReplicas(Int)
    }

    /// Records `recommendation` at `now` and returns the count to advise.
    public mutating func stabilize(recommendation: Int, current: Int, policy: ScalingPolicy, at now: Date) -> (replicas: Int, limit: Limit?) {
        let keep = max(policy.scaleUp.stabilization, policy.scaleDown.stabilization, policy.scaleUp.period, policy.scaleDown.period)
        recommendations.removeAll { now.timeIntervalSince($0.time) > keep.seconds }
        changes.removeAll { now.timeIntervalSince($0.time) > keep.seconds }
        recommendations.append((now, recommendation))
        var limit: Limit?
        var up = recommendation, down = recommendation
        for past in recommendations {
            let age = now.timeIntervalSince(past.time)
            if age <= policy.scaleUp.stabilization.seconds { up = min(up, past.replicas) }
            if age <= policy.scaleDown.stabilization.seconds { down = max(down, past.replicas) }
        }
        var replicas = current
        if replicas < up { replicas = up }
        if replicas > down { replicas = down }
        if recommendation > current, replicas < recommendation { limit = .scaleUpWindow(lowest: up, window: policy.scaleUp.stabilization) }
        if recommendation < current, replicas > recommendation { limit = .scaleDownWindow(highest: down, window: policy.scaleDown.stabilization) }
        // Step limits, counted from the count at the start of the period.
        if replicas > current, let step = policy.scaleUp.maxStep {
            let added = changes.filter { now.timeIntervalSince($0.time) <= policy.scaleUp.period.seconds && $0.by > 0 }.reduce(0) { $0 + $1.by }
            let ceiling = max(current, current - added + step)
            if replicas > ceiling { replicas = ceiling; limit = .step(step, per: policy.scaleUp.period) }
        }
        if replicas < current, let step = policy.scaleDown.maxStep {
            let removed = changes.filter { now.timeIntervalSince($0.time) <= policy.scaleDown.period.seconds && $0.by < 0 }.reduce(0) { $0 - $1.by }
            let floor = min(current, current + removed - step)
            if replicas < floor { replicas = floor; limit = .step(step, per: policy.scaleDown.period) }
        }
        if replicas > policy.maxReplicas { replicas = policy.maxReplicas; limit = .maxReplicas(policy.maxReplicas) }
        if replicas < policy.minReplicas { replicas = policy.minReplicas; limit = .minReplicas(policy.minReplicas) }
        return (replicas, limit)
    }

    /// A change was made: it counts against the step limit of its period.
    public mutating func recordChange(from old: Int, to new: Int, at time: Date) {
        guard new != old else { return }
        changes.append((time, new - old))
    }
}
