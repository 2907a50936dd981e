import Foundation
import NIOCore
import NIOPosix
import Testing
import VitalsCore
import VitalsEngine
import VitalsTesting

/// The node circuit breaker: step by step on a test clock, then live against a port that opens.
@Suite struct CircuitBreakerTests {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    @Test func opensAfterRoundsOfFailuresLetsOneProbeThroughAndClosesOnAPass() {
        var breaker = CircuitBreaker(rounds: 2, retryEvery: .seconds(20), checks: 3)
        for second in 0..<5 {
            let step1 = breaker.allows(at: t0 + Double(second))

            #expect(step1)
            breaker.record(passed: false, at: t0 + Double(second))
        }
        #expect(!breaker.isOpen, "five failures are not yet two rounds of three checks")
        let step2 = breaker.record(passed: false, at: t0 + 5)

        #expect(step2)
        #expect(breaker.isOpen)
        #expect(breaker.openedAt == t0 + 5)
        #expect(breaker.nextTry == t0 + 25)
        let step3 = breaker.allows(at: t0 + 10)

        #expect(!step3)
        let step4 = breaker.allows(at: t0 + 24.9)

        #expect(!step4)
        // Half-open: the first probe due after the wait goes; the others wait again.
        let step5 = breaker.allows(at: t0 + 25)

        #expect(step5)
        let step6 = breaker.allows(at: t0 + 25.5)

        #expect(!step6)
        breaker.record(passed: false, at: t0 + 25.2)
        #expect(breaker.isOpen)
        let step7 = breaker.allows(at: t0 + 45)

        #expect(step7)
        let step8 = breaker.record(passed: true, at: t0 + 45.1)

        #expect(step8)
        #expect(!breaker.isOpen)
        let step9 = breaker.allows(at: t0 + 45.2)

        #expect(step9)
        // A pass among failures starts the count again.
        breaker.record(passed: false, at: t0 + 46)
        breaker.record(passed: true, at: t0 + 47)
        for second in 48..<53 { breaker.record(passed: false, at: t0 + Double(second)) }
        #expect(!breaker.isOpen)
    }

    @Test func aDownNodeIsAskedOncePerRetryAndComesBackWhenItAnswers() async throws {
        let address = TestCluster.uniqueAddress()
        var node = NodeConfig(name: "db-1", address: address, checks: [
            CheckConfig(name: "port", target: .tcp(host: address, port: 7000), interval: .milliseconds(100), timeout: .milliseconds(200)),
        ])
        node.breaker = BreakerConfig(rounds: 3, retryEvery: .seconds(1))
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(50)
        let engine = Engine(config: ClusterConfig(name: "b", nodes: [node]), options: options)
        let running = Task { await engine.run() }
        defer { running.cancel() }
        // A generous bound: the answer, not the clock, is under test (a loaded run took over 10 s).
        let opened = await engine.store.first(where: { $0.nodes[0].breakerNextTry != nil }, timeout: .seconds(30))
        let open = try #require(opened?.nodes[0])
        #expect(open.status == .critical)
        let since = try #require(open.breakerOpenedAt)
        #expect(try #require(open.breakerNextTry).timeIntervalSince(since) == 1)
        // While open, it is tried once per retry interval (on a grid from when it opened: a try
        // the machine delayed may sit just before the next), not every 100 ms: over the span of
        // the tries seen, at most one a second and one more. A run in flight when the breaker
        // opened may still land: it is not counted.
        var runs: [Date] = open.checks[0].lastRun.map { [$0] } ?? []
        let deadline = ContinuousClock.now + .seconds(30)
        while runs.count < 6, ContinuousClock.now < deadline {
            if let run = engine.store.latest.nodes[0].checks[0].lastRun, run != runs.last { runs.append(run) }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(runs.count == 6)
        let retries = Array(runs.dropFirst())
        let span = (retries.last ?? .distantPast).timeIntervalSince(retries.first ?? .distantPast)
        #expect(Double(retries.count - 1) <= span + 1.05, "\(retries.count) tries in \(span) s: \(runs)")
        // The port opens: the next try passes and the breaker closes.
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: address, port: 7000).get()
        defer { try? server.close().wait() }
        let closed = await engine.store.first(where: { $0.nodes[0].breakerNextTry == nil && $0.nodes[0].status == .passing }, timeout: .seconds(10))
        #expect(closed != nil)
        running.cancel()
        await running.value
    }

    @Test func theClusterFileTurnsItOnForEveryNodeOrOne() throws {
        let yaml = """
            cluster: x
            defaults: { breaker: { after: 3, retry_every: 30s } }
            nodes:
              - { name: a, address: 127.0.0.1 }
              - { name: b, address: 127.0.0.2, breaker: off }
              - { name: c, address: 127.0.0.3, breaker: { after: 5 } }
              - { name: d, address: 127.0.0.4, breaker: sometimes }
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "f.yaml")
        #expect(result.diagnostics.map(\.description) == ["f.yaml:7:45: breaker in node 'd' is a mapping like { after: 3, retry_every: 20s }, or off"])
        let fixed = yaml.replacingOccurrences(of: "\n  - { name: d, address: 127.0.0.4, breaker: sometimes }", with: "")
        let config = try #require(ClusterConfigLoader.check(text: fixed, file: "f.yaml").config)
        #expect(config.nodes.map(\.breaker) == [BreakerConfig(rounds: 3, retryEvery: .seconds(30)), nil, BreakerConfig(rounds: 5, retryEvery: .seconds(20))])
    }
}
