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
            // The deadline ended it, not the answer (which would have passed): the verdict and the
            // latency say so. How long it took on the clock is left to benchmarks, not asserted
            // here (a loaded CI machine took 1.4 s once).
            #expect(outcome.status == .critical)
            #expect(outcome.output.hasSuffix("timed out after 300ms"))
            #expect(outcome.latency == .milliseconds(300))
            #expect(ContinuousClock.now - started >= .milliseconds(290))
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
    // A generous timeout where the answer, not the clock, is under test: a loaded machine may take
    // a while to run the probe's task, and the deadline counts from its start.
    func check(_ host: String, _ port: Int, send: String? = "PING\r\n", expect: String? = "+PONG", timeout: Duration = .seconds(10)) -> CheckConfig {
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
        let outcome = await TCPProbe().run(check(server.host, server.port, timeout: .milliseconds(500)))
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

/// HTTP checks with a method, headers, a body, status classes and ranges, a body regex and a
/// JSON condition, against real sockets.
@Suite struct HTTPOptionTests {
    @Test func methodHeadersAndBodyAreSent() async throws {
        let server = try await RecordingServer.start(.answer(status: 204))
        var check = CheckConfig(name: "write", target: .http(url: server.url + "/v1/ping"), timeout: .seconds(2))
        check.method = "POST"
        check.headers = ["X-Token": "s3cret"]
        check.requestBody = #"{"ping":1}"#
        let outcome = await HTTPProbe().run(check)
        #expect(outcome.status == .passing)
        #expect(outcome.output.hasPrefix("HTTP POST \(server.url)/v1/ping: 204"))
        let request = await server.waitForRequest { $0.path == "/v1/ping" }
        #expect(request?.method == "POST")
        #expect(request?.body == #"{"ping":1}"#)
        await server.stop()
    }

    /// `(a+)+b` over 23 `a`s took a backtracking engine past the check's timeout (and
    /// `snapshot --wait 3` past 45 s); the automaton answers at once, within the timeout.
    @Test func aCatastrophicBodyRegexIsAnsweredWithinTheTimeout() async throws {
        let body = String(repeating: "a", count: 23)
        let server = try await CannedServer.start(answer: Array("HTTP/1.1 200 OK\r\nContent-Length: 23\r\n\r\n\(body)".utf8))
        var check = CheckConfig(name: "evil", target: .http(url: server.url), timeout: .seconds(2))
        check.bodyRegex = "(a+)+b"
        let outcome = await HTTPProbe().run(check)
        #expect(outcome.status == .critical)
        #expect(outcome.output.hasSuffix("(body does not match /(a+)+b/)"), "not a timeout: \(outcome.output)")
        check.bodyRegex = "^(a+)+$"
        #expect(await HTTPProbe().run(check).status == .passing)
        await server.stop()
    }

    @Test func bodyRegexAndJSONConditionsJudgeTheWholeCappedBody() async throws {
        let padding = String(repeating: " ", count: 20_000)
        let json = #"{"status":"UP","checks":[{"name":"db","state":"DOWN"}],"ok":true}"#
        let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(padding.utf8.count + json.utf8.count)\r\n\r\n" + padding + json
        let server = try await CannedServer.start(answer: Array(answer.utf8))
        var check = CheckConfig(name: "json", target: .http(url: server.url), timeout: .seconds(2))
        check.bodyJSON = JSONCondition(path: "$.status", equals: "UP")
        #expect(await HTTPProbe().run(check).status == .passing, "the value lies past the first 4 KiB")
        check.bodyJSON = JSONCondition(path: "$.checks[0].state", equals: "UP")
        let down = await HTTPProbe().run(check)
        #expect(down.status == .critical)
        #expect(down.output.hasSuffix("($.checks[0].state is 'DOWN', expected 'UP')"))
        check.bodyJSON = JSONCondition(path: "$.ok", equals: "true")
        #expect(await HTTPProbe().run(check).status == .passing)
        check.bodyJSON = JSONCondition(path: "$.missing", equals: "x")
        #expect(await HTTPProbe().run(check).output.hasSuffix("($.missing is missing, expected 'x')"))
        check.bodyJSON = nil
        check.bodyRegex = #""status":"(UP|OK)""#
        #expect(await HTTPProbe().run(check).status == .passing)
        check.bodyRegex = #""status":"DOWN""#
        #expect(await HTTPProbe().run(check).output.hasSuffix(#"(body does not match /"status":"DOWN"/)"#))
        await server.stop()
    }

    @Test func aRedirectIsNotFollowedAndStatusClassesAndRangesAreRead() async throws {
        let server = try await CannedServer.start(answer: Array("HTTP/1.1 301 Moved Permanently\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\n\r\n".utf8))
        let check = CheckConfig(name: "moved", target: .http(url: server.url), timeout: .seconds(2))
        let moved = await HTTPProbe().run(check)
        #expect(moved.status == .critical)
        #expect(moved.output.contains(": 301 Moved Permanently"))
        let yaml = """
            cluster: x
            nodes:
              - name: a
                address: 127.0.0.1
                checks:
                  - { name: ok, http: "http://127.0.0.1/", expect_status: [2xx, "300-302"], method: head, headers: { X-A: b } }
                  - { name: bad, http: "http://127.0.0.1/", expect_status: [7xx], method: FETCH, body_json: { path: "status" , equals: UP } }
                  - { name: tcp, tcp: "127.0.0.1:1", body: x }
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "f.yaml")
        #expect(result.diagnostics.map(\.description) == [
            "f.yaml:7:65: items of 'expect_status' in check 'bad' of node 'a' are codes (200), classes (2xx) or ranges (200-299)",
            "f.yaml:7:79: check 'bad' of node 'a': method is one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, not 'FETCH'",
            "f.yaml:7:105: check 'bad' of node 'a': path is like $.status or $.checks[0].state",
            "f.yaml:8:42: 'body' in check 'tcp' of node 'a' only applies to http checks",
        ])
        await server.stop()
    }
}
