/// A fault a person can inject into a simulated node from the dashboard or the command line.
public enum Fault: String, Sendable, CaseIterable, Codable {
    /// The node's ports close: connections are refused.
    case down
    /// Every answer is delayed by `SimulatedCondition.slowLatency`.
    case slow
    /// Health answers 500 with a reason, and most requests fail.
    case errors
    /// Health alternates between passing and failing every few seconds.
    case flapping
    /// Connections are accepted and never answered: a black hole, the worst kind of failure.
    case hang

    /// What the fault menu says about it.
    public var summary: String {
        switch self {
        case .down: "close the node's ports (connection refused)"
        case .slow: "add 1.5s to every answer (checks time out)"
        case .errors: "answer 500 with a reason"
        case .flapping: "fail every other few seconds"
        case .hang: "accept connections, never answer (black hole)"
        }
    }
}

/// How a simulated node behaves at one moment: what its health endpoint says, how slowly it
/// answers and how hard it works.
public struct SimulatedCondition: Sendable, Equatable {
    public enum Health: Sendable, Equatable {
        case ok
        /// 429: Consul's "warning".
        case degraded(String)
        /// 500 with a reason.
        case failing(String)
        /// Ports closed.
        case down
        /// Connections accepted, never answered.
        case silent
    }

    public static let slowLatency: Duration = .milliseconds(1500)

    public var health: Health
    public var extraLatency: Duration
    /// Extra CPU load on top of the node's baseline, 0...1.
    public var extraLoad: Double
    /// Share of application requests that fail.
    public var errorRatio: Double
    /// Why, in a few words, for logs and the UI ("scenario: postgres slow", "injected: down").
    public var cause: String?
    /// The requests this instance serves, as a multiple of its usual rate (a surge shared by
    /// fewer instances is more for each).
    public var traffic: Double = 1

    public init(health: Health = .ok, extraLatency: Duration = .zero, extraLoad: Double = 0, errorRatio: Double = 0.002, cause: String? = nil) {
        self.health = health
        self.extraLatency = extraLatency
        self.extraLoad = extraLoad
        self.errorRatio = errorRatio
        self.cause = cause
    }

    public static let healthy = SimulatedCondition()

    /// The condition an injected fault imposes, `elapsed` into the simulation.
    public static func injected(_ fault: Fault, elapsed: Duration) -> SimulatedCondition {
        switch fault {
        case .down:
            SimulatedCondition(health: .down, cause: "injected: down")
        case .slow:
            SimulatedCondition(extraLatency: slowLatency, extraLoad: 0.5, errorRatio: 0.05, cause: "injected: slow")
        case .errors:
            SimulatedCondition(health: .failing("injected fault: 100% of requests fail with 500"), extraLoad: 0.2, errorRatio: 0.9, cause: "injected: errors")
        case .hang:
            SimulatedCondition(health: .silent, cause: "injected: hang")
        case .flapping:
            Int(elapsed.seconds / 6) % 2 == 0
                ? SimulatedCondition(health: .failing("flapping: health check failing intermittently"), errorRatio: 0.3, cause: "injected: flapping")
                : SimulatedCondition(cause: "injected: flapping")
        }
    }
}
