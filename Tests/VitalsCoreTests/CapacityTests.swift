import Foundation
import Testing
import VitalsCore

/// The HPA's arithmetic on worked examples, its behaviours on a test clock, the advice in words,
/// and the policies' mistakes with their places.
@Suite struct CapacityTests {
    typealias Instance = ReplicaCalculator.Instance

    /// Worked examples: (current, instances (ready, value), target, expected count, outcome).
    static let examples: [(String, Int, [(Bool, Double?)], Double, Int, ReplicaCalculator.Outcome)] = [
        ("the issue's: 86% on 2 against 60%", 2, [(true, 86), (true, 86)], 60, 3, .scale),
        ("on target", 3, [(true, 50), (true, 50), (true, 50)], 50, 3, .withinTolerance),
        // 55 / 50 is 1.1000000000000001 in floating point: just outside, as in the HPA's Go.
        ("inside the band, 1.08", 3, [(true, 54), (true, 54), (true, 54)], 50, 3, .withinTolerance),
        ("just past it, 1.12", 3, [(true, 56), (true, 56), (true, 56)], 50, 4, .scale),
        ("down: 0.4 on 4", 4, [(true, 20), (true, 20), (true, 20), (true, 20)], 50, 2, .scale),
        ("up, one without a value counted as idle", 3, [(true, 90), (true, 90), (true, nil)], 50, 4, .scale),
        ("down, one without a value counted at the target", 3, [(true, 10), (true, 10), (true, nil)], 50, 2, .scale),
        ("up, the not-ready one counted as idle lands in the band", 3, [(true, 80), (true, 80), (false, nil)], 50, 3, .heldByMissing),
        ("up past the not-ready one", 3, [(true, 95), (true, 95), (false, 10)], 50, 4, .scale),
        ("nothing measured", 3, [(true, nil), (true, nil), (false, nil)], 50, 3, .noMetrics),
        ("nothing ready", 2, [(false, 90), (false, 90)], 50, 2, .noMetrics),
    ]

    @Test(arguments: examples.indices)
    func theHPAsArithmeticOnWorkedExamples(index: Int) {
        let (name, current, instances, target, expected, outcome) = Self.examples[index]
        let result = ReplicaCalculator.desired(
            current: current, instances: instances.enumerated().map { Instance("i\($0.offset)", ready: $0.element.0, value: $0.element.1) },
            target: target, tolerance: 0.1
        )
        #expect(result.desired == expected, "\(name): \(result)")
        #expect(result.outcome == outcome, "\(name): \(result)")
    }

    @Test func aTotalIsSharedLikeAnAverageValueTarget() {
        // 300 requests/s against 100 each: 3 replicas.
        #expect(ReplicaCalculator.desired(current: 2, ready: 2, total: 300, target: 100, tolerance: 0.1).desired == 3)
        #expect(ReplicaCalculator.desired(current: 3, ready: 3, total: 310, target: 100, tolerance: 0.1).outcome == .withinTolerance)
        #expect(ReplicaCalculator.desired(current: 3, ready: 3, total: nil, target: 100, tolerance: 0.1).outcome == .noMetrics)
    }

    func policy(up: ScalingPolicy.Behavior = .defaultUp, down: ScalingPolicy.Behavior = .defaultDown, min: Int = 1, max: Int = 20) -> ScalingPolicy {
        var policy = ScalingPolicy(service: "orders", metric: .cpu, target: 60, minReplicas: min, maxReplicas: max)
        policy.scaleUp = up
        policy.scaleDown = down
        return policy
    }

    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theScaleDownWindowHoldsTheHighestAdviceInIt() {
        var stabilizer = ScaleStabilizer()
        let policy = policy()
        #expect(stabilizer.stabilize(recommendation: 5, current: 5, policy: policy, at: t0).replicas == 5)
        let held = stabilizer.stabilize(recommendation: 2, current: 5, policy: policy, at: t0.addingTimeInterval(15))
        #expect(held.replicas == 5)
        #expect(held.limit == .scaleDownWindow(highest: 5, window: .seconds(300)))
        #expect(stabilizer.stabilize(recommendation: 2, current: 5, policy: policy, at: t0.addingTimeInterval(299)).replicas == 5)
        // Five minutes after the last advice of 5, the count goes down.
        #expect(stabilizer.stabilize(recommendation: 2, current: 5, policy: policy, at: t0.addingTimeInterval(301)).replicas == 2)
    }

    @Test func scalingUpIsAtOnceButAtMostTheStepPerPeriod() {
        var stabilizer = ScaleStabilizer()
        let policy = policy()
        let first = stabilizer.stabilize(recommendation: 12, current: 2, policy: policy, at: t0)
        #expect(first.replicas == 6)
        #expect(first.limit == .step(4, per: .seconds(15)))
        stabilizer.recordChange(from: 2, to: 6, at: t0)
        // The 4 of this period are spent.
        #expect(stabilizer.stabilize(recommendation: 12, current: 6, policy: policy, at: t0.addingTimeInterval(5)).replicas == 6)
        #expect(stabilizer.stabilize(recommendation: 12, current: 6, policy: policy, at: t0.addingTimeInterval(16)).replicas == 10)
    }

    @Test func minAndMaxBoundTheAdvice() {
        var stabilizer = ScaleStabilizer()
        #expect(stabilizer.stabilize(recommendation: 30, current: 18, policy: policy(max: 20), at: t0) == (20, .maxReplicas(20)))
        var other = ScaleStabilizer()
        #expect(other.stabilize(recommendation: 1, current: 1, policy: policy(down: .init(stabilization: .zero, maxStep: nil), min: 2), at: t0) == (2, .minReplicas(2)))
    }

    /// A metric that flaps above and below the target every evaluation never moves the count
    /// down while it flaps (the scale-down window keeps the highest advice in it), so it does not
    /// go back and forth; once it stays low, the count comes down once, after the window.
    @Test func aFlappingMetricDoesNotOscillate() {
        var advisor = CapacityAdvisor(config: ScalingConfig(interval: .seconds(15), policies: [policy(down: .init(stabilization: .seconds(120), maxStep: nil))]))
        var current = 3
        var counts: [Int] = []
        for step in 0..<40 {
            let cpu: Double = step >= 24 ? 20 : step.isMultiple(of: 2) ? 75 : 45
            let instances = (0..<current).map { Instance("orders-\($0)", value: cpu) }
            let time = t0.addingTimeInterval(Double(step) * 15)
            let advice = advisor.advise(policy(down: .init(stabilization: .seconds(120), maxStep: nil)), reading: .perInstance(instances), canScale: true, at: time)
            if advice.desired != current {
                advisor.recordAction(service: "orders", from: current, to: advice.desired, succeeded: true, summary: "", at: time)
                current = advice.desired
            }
            counts.append(current)
        }
        let flapping = Array(counts.prefix(24))
        #expect(zip(flapping, flapping.dropFirst()).allSatisfy { $0 <= $1 }, "never down while it flaps: \(counts)")
        let after = Array(counts.suffix(from: 23))
        // Then only down (as the window slides past the high advice), never up again.
        #expect(zip(after, after.dropFirst()).allSatisfy { $0 >= $1 }, "down only, after the window: \(counts)")
        #expect(after.last! < after.first!, "\(counts)")
        // Not before the 120 s window (8 evaluations) has passed since the last high advice.
        #expect(after.prefix(8).allSatisfy { $0 == after[0] }, "\(counts)")
    }

    @Test func theAdviceSaysWhyInWords() {
        var advisor = CapacityAdvisor(config: ScalingConfig(policies: [policy()]))
        let up = advisor.advise(policy(), reading: .perInstance([Instance("orders-1", value: 86), Instance("orders-2", value: 86)]), canScale: true, at: t0)
        #expect(up.reason == "orders: CPU 86% vs target 60% → 3 replicas (was 2)")
        #expect((up.current, up.ready, up.desired, up.history) == (2, 2, 3, [3]))
        let band = advisor.advise(policy(), reading: .perInstance([Instance("orders-1", value: 62), Instance("orders-2", value: 58)]), canScale: true, at: t0.addingTimeInterval(15))
        #expect(band.reason == "orders: CPU 60% vs target 60% is within ±10%: stays at 2")
        let held = advisor.advise(policy(), reading: .perInstance([Instance("orders-1", value: 10), Instance("orders-2", value: 10)]), canScale: true, at: t0.addingTimeInterval(30))
        #expect(held.reason == "orders: CPU 10% vs target 60% → 1; held by the 5m scale-down window (its highest advice: 3): stays at 2")
        let none = advisor.advise(policy(), reading: .perInstance([Instance("orders-1", ready: false, value: nil)]), canScale: true, at: t0.addingTimeInterval(45))
        #expect(none.reason.hasPrefix("orders: no ready instance (0 of 1 pass their checks): stays at 1"))
    }

    @Test func theLatencyAndExpressionReadingsComeFromTheSnapshot() throws {
        let snapshot = try snapshotWithOrders()
        var latency = ScalingPolicy(service: "orders", metric: .latencyP95, target: 100, minReplicas: 1, maxReplicas: 5)
        guard case .perInstance(let instances) = CapacityReading.read(latency, snapshot: snapshot, series: SnapshotSeries(snapshot)) else {
            Issue.record("per instance")
            return
        }
        #expect(instances.map(\.value) == [40, 400])
        latency.metric = .expression("sum(node_request_rate)")
        guard case .total(let total, let current, let ready) = CapacityReading.read(latency, snapshot: snapshot, series: SnapshotSeries(snapshot)) else {
            Issue.record("a total")
            return
        }
        #expect((total, current, ready) == (300, 2, 2))
        latency.metric = .expression("node_cpu * 100")
        guard case .perInstance(let byNode) = CapacityReading.read(latency, snapshot: snapshot, series: SnapshotSeries(snapshot)) else {
            Issue.record("by node")
            return
        }
        #expect(byNode.map(\.value) == [50, 90])
    }

    func snapshotWithOrders() throws -> ClusterSnapshot {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func node(_ name: String, cpu: Double, rate: Double) -> NodeSnapshot {
            var metrics = NodeMetrics()
            metrics.cpu = cpu
            metrics.requestRate = rate
            return NodeSnapshot(name: name, address: "127.0.0.1", status: .passing, services: ["orders"], metrics: metrics, checks: [])
        }
        func service(_ node: String, latencies: [Double?]) -> ServiceSnapshot {
            var check = CheckSnapshot(name: "http", type: "http", target: "x", status: .passing, output: "ok")
            check.latencies = latencies
            return ServiceSnapshot(name: "orders", node: node, status: .passing, dependsOn: [], checks: [check])
        }
        return ClusterSnapshot(
            cluster: "c", generation: 1, time: now, nodes: [node("orders-1", cpu: 0.5, rate: 100), node("orders-2", cpu: 0.9, rate: 200)],
            services: [service("orders-1", latencies: Array(repeating: 10, count: 18) + [40, 50]), service("orders-2", latencies: [400, nil, 20])]
        )
    }

    @Test(arguments: [
        ("- { service: ordrs, metric: cpu, target: 60, max_replicas: 4 }", "f.yaml:9:18: scaling policy for 'ordrs', which no node of the file runs (did you mean 'orders'?)"),
        ("- { service: orders, metric: cpus, target: 60, max_replicas: 4 }", "f.yaml:9:34: metric 'cpus' of a scaling policy must be cpu, request_rate, latency_p95, or give 'expr' (did you mean 'cpu'?)"),
        ("- { service: orders, metric: cpu, target: 60, min_replicas: 5, max_replicas: 4 }", "f.yaml:9:65: min_replicas 5 is above max_replicas 4"),
        ("- { service: orders, metric: cpu, target: -1, max_replicas: 4 }", "f.yaml:9:47: 'target' in a scaling policy must be a number above 0 (percent for cpu, requests/s, ms)"),
        ("- { service: orders, expr: 'sum(rate(x[1m])', target: 5, max_replicas: 4 }", "f.yaml:9:48: scaling policy 'orders': expected ')' to close the one at column 4; the expression ends"),
        ("- { service: orders, metric: cpu, target: 60 }", "f.yaml:9:7: a scaling policy is missing 'max_replicas'"),
        ("- { service: orders, metric: cpu, expr: node_cpu, target: 60, max_replicas: 3 }", "f.yaml:9:39: a scaling policy has either 'metric' or 'expr', not both"),
    ])
    func policyMistakesAreNamedWithTheirPlace(policy: String, expected: String) {
        let yaml = """
            cluster: x
            nodes:
              - name: orders-1
                address: 127.0.0.1
                services: [{ name: orders }]
            scaling:
              interval: 5s
              policies:
                \(policy)
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "f.yaml")
        #expect(result.config == nil)
        #expect(result.diagnostics.map(\.description).contains(expected), "got: \(result.diagnostics.map(\.description))")
    }

    @Test func aGoodPolicyIsReadWhole() throws {
        let yaml = """
            cluster: x
            nodes:
              - name: orders-1
                address: 127.0.0.1
                services: [{ name: orders }]
            scaling:
              policies:
                - service: orders
                  metric: request_rate
                  target: 150
                  min_replicas: 2
                  max_replicas: 9
                  tolerance: 0.2
                  scale_up: { stabilization: 30s, max_step: 2, period: 1m }
                  scale_down: { stabilization: 10m }
                  scale_command: [kubectl, scale, "deployment/{service}", "--replicas={replicas}"]
                  command_timeout: 20s
                  autoscale: true
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "f.yaml")
        let policy = try #require(result.config?.scaling.policies.first, "\(result.diagnostics)")
        #expect(result.config?.scaling.interval == .seconds(15))
        #expect(policy.metric == .requestRate && policy.target == 150 && policy.minReplicas == 2 && policy.maxReplicas == 9 && policy.tolerance == 0.2)
        #expect(policy.scaleUp == .init(stabilization: .seconds(30), maxStep: 2, period: .seconds(60)))
        #expect(policy.scaleDown == .init(stabilization: .seconds(600), maxStep: nil))
        #expect(policy.command(replicas: 4) == ["kubectl", "scale", "deployment/orders", "--replicas=4"])
        #expect(policy.commandTimeout == .seconds(20) && policy.autoscale)
    }
}
