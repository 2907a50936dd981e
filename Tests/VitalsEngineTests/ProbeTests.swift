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

/// TCP checks that send a request and expect text in the answer, against real sockets.
@Suite struct TCPSendExpectTests {
    func check(_ host: String, _ port: Int, send: String? = "PING\r\n", expect: String? = "+PONG", timeout: Duration = .seconds(2)) -> CheckConfig {
        var check = CheckConfig(name: "redis", target: .tcp(host: host, port: port), timeout: timeout)
        check.send = send
        check.expect = expect
        return check
    }

    @Test func theExpectedAnswerPasses() async throws {
        let server = try await CannedServer.start(answer: Array("+PONG\r\n".utf8), close: false)
        let outcome = await TCPProbe().run(check(server.host, server.port))
        #expect(outcome.status == .passing)
        #expect(outcome.output == "TCP \(server.host):\(server.port): answered \"+PONG␍␊\"")
        await server.stop()
    }

    @Test func aWrongAnswerIsCriticalAndQuoted() async throws {
        let server = try await CannedServer.start(answer: Array("-ERR unknown command\r\n".utf8), close: true)
        let outcome = await TCPProbe().run(check(server.host, server.port))
        #expect(outcome.status == .critical)
        #expect(outcome.output == "TCP \(server.host):\(server.port): expected \"+PONG\", got \"-ERR unknown command␍␊\" (then closed)")
        await server.stop()
    }

    @Test func silenceUntilTheTimeoutIsCritical() async throws {
        let server = try await RecordingServer.start(.hang)
        let started = ContinuousClock.now
        let outcome = await TCPProbe().run(check(server.host, server.port, timeout: .milliseconds(500)))
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(outcome.status == .critical)
        #expect(outcome.output == "TCP \(server.host):\(server.port): no \"+PONG\" within 500ms")
        await server.stop()
    }

    @Test func sendAloneOnlyNeedsTheWrite() async throws {
        let server = try await RecordingServer.start(.hang)
        let outcome = await TCPProbe().run(check(server.host, server.port, send: "hello\n", expect: nil))
        #expect(outcome.status == .passing)
        #expect(outcome.output == "TCP \(server.host):\(server.port): connected, sent 6 bytes")
        await server.stop()
    }

    @Test func sendAndExpectBelongToTCPChecks() {
        let yaml = """
            cluster: x
            nodes:
              - name: a
                address: 127.0.0.1
                checks:
                  - { name: redis, tcp: "127.0.0.1:6379", send: "PING\\r\\n", expect: "+PONG" }
                  - { name: web, http: "http://127.0.0.1/", expect: "ok" }
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "f.yaml")
        #expect(result.diagnostics.map(\.description) == ["f.yaml:7:49: 'expect' in check 'web' of node 'a' only applies to tcp and dns checks"])
    }
}
