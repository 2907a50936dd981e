import Foundation

/// How many replicas a service should have, and how Vitals may change it: the cluster file's
/// `scaling:` entries, read as Kubernetes' HorizontalPodAutoscaler reads its spec.
public struct ScalingPolicy: Sendable, Equatable {
    /// What is measured per instance.
    public enum Metric: Sendable, Equatable {
        /// CPU busy of the instance's node, in percent (`node_cpu × 100`).
        case cpu
        /// Requests per second the instance serves (`node_request_rate`).
        case requestRate
        /// The 95th percentile of the instance's check latencies, in milliseconds.
        case latencyP95
        /// Any alert-rule expression: a vector labelled by `node` gives each instance its value;
        /// anything else is the service's total, shared by its ready instances (the HPA's
        /// `AverageValue` target).
        case expression(String)

        /// The word the file and the reasons use.
        public var name: String {
            switch self {
            case .cpu: "CPU"
            case .requestRate: "requests/s"
            case .latencyP95: "p95 latency"
            case .expression(let text): text
            }
        }

        /// The unit a value is shown in.
        public var unit: String {
            switch self {
            case .cpu: "%"
            case .requestRate: "/s"
            case .latencyP95: "ms"
            case .expression: ""
            }
        }
    }

    /// How one direction of change is held back (the HPA's `behavior.scaleUp`/`scaleDown`).
    public struct Behavior: Sendable, Equatable {
        /// Advice is the most cautious of the advice given over this window (lowest when going up,
        /// highest when going down).
        public var stabilization: Duration
        /// At most this many replicas added (or removed) per `period`; nil: no limit.
        public var maxStep: Int?
        public var period: Duration

        public init(stabilization: Duration, maxStep: Int?, period: Duration = .seconds(15)) {
            self.stabilization = stabilization
            self.maxStep = maxStep
            self.period = period
        }

        /// The HPA's defaults: up at once, 4 replicas (or double) per 15 s; down after 5 minutes.
        public static let defaultUp = Behavior(stabilization: .zero, maxStep: 4)
        public static let defaultDown = Behavior(stabilization: .seconds(300), maxStep: nil)
    }

    public var service: String
    public var metric: Metric
    /// The value per instance the service should run at (percent for CPU, requests/s, ms, or the
    /// expression's own unit).
    public var target: Double
    public var minReplicas: Int
    public var maxReplicas: Int
    /// No change while the ratio of value to target is within 1 ± this (the HPA's 0.1).
    public var tolerance: Double = 0.1
    public var scaleUp: Behavior = .defaultUp
    public var scaleDown: Behavior = .defaultDown
    /// Run to change the number of replicas: argv with `{service}` and `{replicas}` replaced.
    public var scaleCommand: [String]?
    /// How long the command may run before it is killed and reported as failed.
    public var commandTimeout: Duration = .seconds(30)
    /// Apply advice without asking.
    public var autoscale = false

    public init(service: String, metric: Metric, target: Double, minReplicas: Int, maxReplicas: Int) {
        self.service = service
        self.metric = metric
        self.target = target
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
    }

    /// The command for `replicas`, or nil when the policy has none.
    public func command(replicas: Int) -> [String]? {
        scaleCommand?.map { $0.replacingOccurrences(of: "{service}", with: service).replacingOccurrences(of: "{replicas}", with: String(replicas)) }
    }
}

/// The cluster file's `scaling:` section.
public struct ScalingConfig: Sendable, Equatable {
    /// How often advice is computed (the HPA's sync period).
    public var interval: Duration = .seconds(15)
    public var policies: [ScalingPolicy] = []

    public init(interval: Duration = .seconds(15), policies: [ScalingPolicy] = []) {
        self.interval = interval
        self.policies = policies
    }
}
