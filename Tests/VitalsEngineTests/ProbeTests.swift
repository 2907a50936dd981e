import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsSim
import VitalsTesting

/// Probes against real sockets: the simulator's nodes on loopback.
@Suite struct ProbeTests {
    /// Runs `body` against one simulated node and closes its ports before returning.
    func withNode(_ body: (Simulator, NodeConfig) async throws -> Void) async throws {
        let config = TestCluster.make(nodes: ["probe-target"])
        let simulator = Simulator(config: config)
        try await simulator.start()
        do {
            try await body(simulator, config.nodes[0])
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    func check(_ node: NodeConfig, _ name: String) -> CheckConfig {
        node.services[0].checks.first { $0.name == name }!
    }

    @Test func httpPassesOnHealthyNode() async throws {
        try await withNode { simulator, node in
            let outcome = await HTTPProbe().run(check(node, "http"))
            #expect(outcome.status == .passing)
            #expect(outcome.output == "HTTP GET http://\(node.address):8080/health: 200 OK Output: ok")
            #expect(outcome.latency != nil)
        }
    }

    @Test func httpIsCriticalOn500WithTheReason() async throws {
        try await withNode { simulator, node in
            try await simulator.inject(.errors, into: node.name)
            let outcome = await HTTPProbe().run(check(node, "http"))
            #expect(outcome.status == .critical)
            #expect(outcome.output.contains("500 Internal Server Error Output: injected fault: 100% of requests fail with 500"))
        }
    }

    @Test func httpAndTCPAreCriticalWhenRefused() async throws {
        try await withNode { simulator, node in
            try await simulator.inject(.down, into: node.name)
            let http = await HTTPProbe().run(check(node, "http"))
            #expect(http.status == .critical)
            #expect(http.output.hasSuffix("dial tcp \(node.address):8080: connection refused"))
            let tcp = await TCPProbe().run(check(node, "port"))
            #expect(tcp.status == .critical)
            #expect(tcp.output == "TCP connect \(node.address):8080: dial tcp \(node.address):8080: connection refused")
            try await simulator.heal(node.name)
            #expect(await TCPProbe().run(check(node, "port")).status == .passing)
        }
    }

    @Test func timeoutIsHonoured() async throws {
        try await withNode { simulator, node in
            try await simulator.inject(.slow, into: node.name) // answers after 1.5s
            var slowCheck = check(node, "http")
            slowCheck.timeout = .milliseconds(300)
            let started = ContinuousClock.now
            let outcome = await HTTPProbe().run(slowCheck)
            let elapsed = ContinuousClock.now - started
            #expect(outcome.status == .critical)
            #expect(outcome.output.hasSuffix("timed out after 300ms"))
            // Generous upper bound: a loaded 2-core machine, but far below the 1.5s answer.
            #expect(elapsed >= .milliseconds(290) && elapsed < .milliseconds(1200), "took \(elapsed)")
        }
    }

    @Test(arguments: [(200, [Int](), Status.passing), (204, [], .passing), (429, [], .warning), (503, [], .critical), (204, [200], .critical), (418, [418], .passing)])
    func consulStatusRules(code: Int, expected: [Int], status: Status) {
        #expect(HTTPProbe.status(forHTTP: code, expected: expected) == status)
    }

    @Test func bodyAndResponseTimeRulesRefineTheStatus() async throws {
        try await withNode { simulator, node in
            var needsPong = check(node, "http")
            needsPong.target = .http(url: "http://\(node.address):8080/api/ping")
            needsPong.bodyContains = "pong"
            #expect(await HTTPProbe().run(needsPong).status == .passing)
            needsPong.bodyContains = "banana"
            let missing = await HTTPProbe().run(needsPong)
            #expect(missing.status == .critical)
            #expect(missing.output.hasSuffix("(body does not contain 'banana')"))
            try await simulator.inject(.slow, into: node.name)
            var slowButOK = check(node, "http")
            slowButOK.timeout = .seconds(5)
            slowButOK.responseTimeBelow = .milliseconds(200)
            let slow = await HTTPProbe().run(slowButOK)
            #expect(slow.status == .warning)
            #expect(slow.output.contains("limit 200ms"))
        }
    }
}
