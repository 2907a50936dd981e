import VitalsCore

/// A story the simulator plays on a loop: which services misbehave when, and how.
public struct Scenario: Sendable {
    /// One step: from `start` to `end` into the loop, instances of `service` (or only the node
    /// `node`, when set) are in `condition`.
    public struct Step: Sendable {
        public var start: Duration
        public var end: Duration
        public var service: String
        public var node: String?
        public var condition: SimulatedCondition
        /// The service's requests as a multiple of the usual (nil: unchanged), shared by however
        /// many instances serve it then.
        public var traffic: Double?

        public init(start: Duration, end: Duration, service: String, node: String? = nil, condition: SimulatedCondition = .healthy, traffic: Double? = nil) {
            self.start = start
            self.end = end
            self.service = service
            self.node = node
            self.condition = condition
            self.traffic = traffic
        }
    }

    public var name: String
    public var period: Duration
    public var steps: [Step]

    /// A cluster with nothing wrong.
    public static let steady = Scenario(name: "steady", period: .seconds(60), steps: [])

    /// The postgres primary slows down; orders and payments time out on it; checkout through the
    /// api-gateway degrades; web turns warning; then it all heals in order. About two minutes a loop.
    public static let cascadingFailure = Scenario(name: "cascading-failure", period: .seconds(120), steps: [
        Step(start: .seconds(15), end: .seconds(25), service: "postgres",
             condition: SimulatedCondition(extraLatency: .milliseconds(450), extraLoad: 0.45, cause: "scenario: postgres primary under lock contention")),
        Step(start: .seconds(25), end: .seconds(90), service: "postgres",
             condition: SimulatedCondition(extraLatency: .milliseconds(1500), extraLoad: 0.6, errorRatio: 0.1, cause: "scenario: postgres primary stalled on I/O")),
        Step(start: .seconds(30), end: .seconds(90), service: "postgres-replica",
             condition: SimulatedCondition(health: .degraded("replication lag 14s behind primary"), extraLoad: 0.1, cause: "scenario: replica lagging")),
        Step(start: .seconds(32), end: .seconds(95), service: "orders",
             condition: SimulatedCondition(health: .failing("upstream postgres: query timed out after 1000ms"), extraLoad: 0.3, errorRatio: 0.6, cause: "scenario: orders timing out on postgres")),
        Step(start: .seconds(36), end: .seconds(95), service: "payments",
             condition: SimulatedCondition(health: .failing("upstream postgres: connection pool exhausted (20/20 busy)"), extraLoad: 0.25, errorRatio: 0.5, cause: "scenario: payments pool exhausted")),
        Step(start: .seconds(45), end: .seconds(100), service: "api-gateway",
             condition: SimulatedCondition(health: .degraded("degraded: checkout failing (orders, payments circuit open)"), extraLoad: 0.2, errorRatio: 0.2, cause: "scenario: circuit breakers open")),
        Step(start: .seconds(55), end: .seconds(105), service: "web",
             condition: SimulatedCondition(health: .degraded("slow checkout: p99 2.4s, 18% of checkouts fail"), extraLoad: 0.15, errorRatio: 0.1, cause: "scenario: checkout degraded")),
    ])

    /// The same story played `factor` times faster (its latencies unchanged), for tests.
    public func faster(by factor: Double) -> Scenario {
        func scale(_ duration: Duration) -> Duration { .milliseconds(Int64((duration.seconds * 1000 / factor).rounded())) }
        return Scenario(name: name, period: scale(period), steps: steps.map { step in
            Step(start: scale(step.start), end: scale(step.end), service: step.service, node: step.node, condition: step.condition, traffic: step.traffic)
        })
    }

    /// orders-1 crashes while it holds the orders-migration lock: its lease lives on for its TTL
    /// (a stale holder, flagged), then expires, and orders-2, waiting, takes the lock over. The
    /// crashed node comes back after a while and queues up behind the new holder.
    public static let lockHolderDies = Scenario(name: "lock-holder-dies", period: .seconds(90), steps: [
        Step(start: .seconds(15), end: .seconds(60), service: "orders", node: "orders-1",
             condition: SimulatedCondition(health: .down, errorRatio: 1, cause: "scenario: orders-1 crashed (OOM-killed, exit 137)")),
    ])

    /// Load on orders and cart triples for six minutes (each instance's CPU, latency and request
    /// rate rise with its share of it) and then falls back: advice scales them out, and back in
    /// after the scale-down window. Ten minutes a loop.
    public static let trafficSurge = Scenario(name: "traffic-surge", period: .seconds(600), steps: [
        Step(start: .seconds(20), end: .seconds(380), service: "orders", traffic: 3),
        Step(start: .seconds(20), end: .seconds(380), service: "cart", traffic: 3),
    ])

    public static let all = [steady, cascadingFailure, lockHolderDies, trafficSurge]

    public static func named(_ name: String) -> Scenario? {
        all.first { $0.name == name }
    }

    /// The traffic multiple of `service` now (1 when no step changes it).
    public func traffic(of service: String, elapsed: Duration) -> Double {
        let position = Duration.seconds(elapsed.seconds.truncatingRemainder(dividingBy: period.seconds))
        return steps.filter { $0.service == service && $0.traffic != nil && $0.start <= position && position < $0.end }.compactMap(\.traffic).max() ?? 1
    }

    /// The condition of `node`, running `services`, `elapsed` since the simulation began.
    public func condition(node: String? = nil, services: [String], elapsed: Duration) -> SimulatedCondition {
        let position = Duration.seconds(elapsed.seconds.truncatingRemainder(dividingBy: period.seconds))
        let active = steps.filter { step in
            (step.node.map { $0 == node } ?? services.contains(step.service)) && step.start <= position && position < step.end
        }
        // The worst step wins when two overlap: down, then failing, then degraded, then slow.
        return active.max { rank($0.condition) < rank($1.condition) }?.condition ?? .healthy
    }

    private func rank(_ condition: SimulatedCondition) -> Int {
        switch condition.health {
        case .down, .silent: 4
        case .failing: 3
        case .degraded: 2
        case .ok: condition.extraLatency > .zero ? 1 : 0
        }
    }
}
