import Foundation
import Testing
import VitalsCore
import VitalsEngine
@testable import VitalsServer
import VitalsSim
import VitalsTesting

/// The API on real sockets in front of a real engine watching a simulated cluster.
@Suite struct APIServerTests {
    func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    /// The API's refusal of what `body` sends (nil when it was accepted).
    func failure(_ body: () async throws -> Void) async -> APIClient.Failure? {
        do {
            try await body()
            return nil
        } catch let failure as APIClient.Failure {
            return failure
        } catch {
            Issue.record("not an API answer: \(error)")
            return nil
        }
    }

    @Test func anAckThroughTheAPIIsStoredShownAndStreamedToAnotherClient() async throws {
        let config = try AlertingCluster.config()
        try await withServedCluster(config, faults: ["shop-2": .down]) { server, live in
            let firing = try #require(await live.first(timeout: .seconds(20)) { $0.alerts.contains { $0.name == "NodeDown" && $0.state == .firing } })
            let alert = try #require(firing.alerts.first { $0.name == "NodeDown" })
            let ana = try APIClient(url: server.url, user: "ana")
            let watcher = RemoteCluster(client: try APIClient(url: server.url, user: "bo"))
            let following = Task { await watcher.run() }
            // The other dashboard is live before the ack.
            // (Its first snapshot is what counts: connected is said a moment before it is applied,
            // and a loaded CI run saw the gap.)
            await waitUntil(seconds: 20) { watcher.snapshot.alerts.contains { $0.id == alert.id } }
            #expect(watcher.snapshot.alerts.contains { $0.id == alert.id && $0.acknowledgedBy == nil })

            let message = try await ana.message("POST", "/v1/alerts/\(alert.id)/ack", json: ["comment": "rebooting shop-2"])
            #expect(message == "acknowledged NodeDown as ana")
            // Stored before it is shown: the engine's snapshot has it at once.
            let shown = try #require(live.engine.store.latest.alerts.first { $0.id == alert.id })
            #expect(shown.acknowledgedBy == "ana")
            #expect(shown.comment == "rebooting shop-2")
            // And the other client receives it over its event stream.
            await waitUntil(seconds: 5) { watcher.snapshot.alerts.contains { $0.id == alert.id && $0.acknowledgedBy != nil } }
            let seen = watcher.snapshot.alerts.first { $0.id == alert.id }
            #expect(seen?.acknowledgedBy == "ana")
            #expect(seen?.comment == "rebooting shop-2")

            // A second ack of an acked alert is fine; un-ack twice is a conflict the second time.
            _ = try await ana.message("POST", "/v1/alerts/\(alert.id)/unack")
            let again = await failure { _ = try await ana.message("POST", "/v1/alerts/\(alert.id)/unack") }
            following.cancel()
            #expect(again?.code == "already_in_state")
            #expect(again?.status == 409)
            let unknown = await failure { _ = try await ana.message("POST", "/v1/alerts/nope/ack", json: ["comment": "x"]) }
            #expect(unknown?.code == "not_found")
        }
    }

    @Test func badRequestsAreRefusedWithACodeAndAReasonAndChangeNothing() async throws {
        let config = try AlertingCluster.config()
        try await withServedCluster(config, faults: ["shop-2": .down]) { server, live in
            let firing = try #require(await live.first(timeout: .seconds(20)) { $0.alerts.contains { $0.state == .firing } })
            let id = try #require(firing.alerts.first?.id)
            let ana = try APIClient(url: server.url, user: "ana")
            let typo = await failure { _ = try await ana.send("POST", "/v1/alerts/\(id)/ack", json: ["commnet": "x"]) }
            #expect(typo?.code == "unknown_field")
            #expect(typo?.reason == "unknown field 'commnet' (fields here: by, comment)")
            let nobody = try APIClient(url: server.url, user: "")
            let anonymous = await failure { _ = try await nobody.send("POST", "/v1/alerts/\(id)/ack", json: ["comment": "x"]) }
            #expect(anonymous?.code == "user_required")
            let wrongType = await failure { _ = try await ana.send("POST", "/v1/silences", json: ["matchers": ["node": 3], "duration": "1h"]) }
            #expect(wrongType?.code == "invalid_field")
            let badDuration = await failure { _ = try await ana.send("POST", "/v1/silences", json: ["matchers": ["node": "shop-2"], "duration": "soon"]) }
            #expect(badDuration?.reason.contains("'duration' must be like 30m or 2h") == true)
            let badLevel = await failure { _ = try await ana.send("GET", "/v1/logs?level=loud") }
            #expect(badLevel?.code == "invalid_field")
            let badRegex = await failure { _ = try await ana.send("GET", "/v1/logs?q=/(/") }
            #expect(badRegex?.code == "invalid_field")
            let noNode = await failure { _ = try await ana.send("GET", "/v1/nodes/nowhere") }
            #expect(noNode?.code == "not_found")
            #expect(noNode?.reason.contains("shop-1") == true)
            // Not JSON at all, sent raw.
            let socket = try RawSocket(host: server.host, port: server.port)
            socket.send("POST /v1/silences HTTP/1.1\r\nHost: x\r\nX-Vitals-User: ana\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{nope")
            let answer = try #require(socket.readToEnd())
            #expect(answer.hasPrefix("HTTP/1.1 400"))
            #expect(answer.contains("\"error\":\"invalid_json\""))
            // None of it touched the alert or made a silence.
            let latest = live.engine.store.latest
            #expect(latest.alerts.first { $0.id == id }?.acknowledgedBy == nil)
            #expect(latest.silences.isEmpty)
        }
    }

    @Test func silencesMaintenanceHeartbeatsLogsAndNodes() async throws {
        let config = try AlertingCluster.config()
        try await withServedCluster(config, faults: ["shop-2": .down]) { server, live in
            _ = await live.first(timeout: .seconds(10)) { $0.everyCheckHasResult }
            let ana = try APIClient(url: server.url, user: "ana")
            // Silence, then expire it.
            let created = try json(try await ana.send("POST", "/v1/silences", json: ["matchers": ["node": "shop-2"], "duration": "2h", "comment": "planned"]))
            let silenceID = try #require(created["id"] as? String)
            #expect(created["created_by"] as? String == "ana")
            #expect(live.engine.store.latest.silences.contains { $0.id == silenceID })
            #expect(try await ana.message("DELETE", "/v1/silences/\(silenceID)") == "silence expired")
            let twice = await failure { _ = try await ana.message("DELETE", "/v1/silences/\(silenceID)") }
            #expect(twice?.code == "already_in_state")
            // Maintenance of a node, then its end.
            #expect(try await ana.message("PUT", "/v1/nodes/shop-2/maintenance", json: ["reason": "reboot", "duration": "30m"]) == "shop-2 in maintenance for 30m")
            #expect(live.engine.store.latest.node(named: "shop-2")?.status == .maintenance)
            #expect(try await ana.message("DELETE", "/v1/nodes/shop-2/maintenance") == "maintenance of shop-2 ended")
            let noService = await failure { _ = try await ana.message("PUT", "/v1/nodes/shop-2/maintenance", json: ["reason": "x", "service": "nope"]) }
            #expect(noService?.code == "not_found")
            // A ttl heartbeat by its full id, slashes and all.
            #expect(try await ana.message("PUT", "/v1/checks/shop-1/shop/heartbeat/ttl", json: ["status": "warn", "note": "disk 91%"]) == "heartbeat for shop-1/shop/heartbeat warning")
            let check = try #require(await live.first(timeout: .seconds(30)) { snapshot in
                snapshot.services.first { $0.node == "shop-1" }?.checks.first { $0.name == "heartbeat" }?.status == .warning
            })
            #expect(check.services.first { $0.node == "shop-1" }?.checks.first { $0.name == "heartbeat" }?.output == "disk 91%")
            let noTTL = await failure { _ = try await ana.message("PUT", "/v1/checks/shop-1/shop/http/ttl", json: ["status": "pass"]) }
            #expect(noTTL?.code == "not_found")
            // Log lines pushed, then found by a search; a bad line is kept raw with its reason.
            let pushed = try json(try await pushLines(ana, "{\"node\":\"shop-1\",\"level\":\"error\",\"message\":\"payment gateway timed out\"}\nnot json\n"))
            #expect(pushed["accepted"] as? Int == 1)
            #expect(pushed["unparsed"] as? Int == 1)
            let found = try json(try await ana.send("GET", "/v1/logs?node=shop-1&level=error&q=gateway&count=true"))
            let lines = try #require(found["lines"] as? [[String: Any]])
            #expect(lines.map { $0["message"] as? String } == ["payment gateway timed out"])
            #expect(found["matches"] as? Int == 1)
            // A node's detail: its services, checks and newest lines.
            let detail = try json(try await ana.send("GET", "/v1/nodes/shop-1"))
            #expect((detail["node"] as? [String: Any])?["name"] as? String == "shop-1")
            #expect((detail["services"] as? [[String: Any]])?.first?["name"] as? String == "shop")
            #expect((detail["logs"] as? [[String: Any]])?.contains { $0["message"] as? String == "payment gateway timed out" } == true)
        }
    }

    func pushLines(_ client: APIClient, _ text: String) async throws -> [UInt8] {
        let response = try await HTTPFetcher().send("POST", client.target("/v1/logs"), body: Array(text.utf8), contentType: "application/x-ndjson", timeout: .seconds(10))
        #expect(response.status == 200)
        return Array(response.body.utf8)
    }

    @Test func aTokenIsRequiredWhenGivenAndOffLoopbackItMustBeGiven() async throws {
        let config = TestCluster.make(nodes: ["a"])
        let token = "s3cret-token-0123456789"
        try await withServedCluster(config, token: token) { server, _ in
            let without = await failure { _ = try await APIClient(url: server.url, user: "ana").send("GET", "/v1/snapshot") }
            #expect(without?.status == 401)
            #expect(without?.code == "unauthorized")
            let wrong = await failure { _ = try await APIClient(url: server.url, user: "ana", token: token + "x").send("GET", "/v1/snapshot") }
            #expect(wrong?.status == 401)
            _ = try await APIClient(url: server.url, user: "ana", token: token).send("GET", "/v1/snapshot")
            let consul = try await HTTPFetcher().send("GET", try #require(HTTPTarget(server.url + "/v1/status")), headers: [("X-Consul-Token", token)], timeout: .seconds(5))
            #expect(consul.status == 200)
        }
        let engine = Engine(config: config)
        #expect(throws: APIServer.Problem.self) {
            try APIServer(configuration: APIServer.Configuration(host: "0.0.0.0", port: 0), backend: FixedBackend(engine: engine), log: .silent)
        }
        #expect(APIServer.Configuration.isLoopback("127.3.4.5"))
        #expect(APIServer.Configuration.isLoopback("::1"))
        #expect(!APIServer.Configuration.isLoopback("10.0.0.1"))
        #expect(!APIServer.Configuration.isLoopback("::"))
    }

    @Test(.enabled(if: TestCertificates.isAvailable))
    func httpsWithTheServersCertificateAndTheEventStreamOverIt() async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let config = TestCluster.make(nodes: ["a"])
        let host = TestCluster.uniqueAddress()
        let (certificate, key) = try certificates.server([host], file: "api")
        try await LiveCluster.with(config) { live in
            var configuration = APIServer.Configuration(host: host, port: 0)
            configuration.tlsCertificate = certificate
            configuration.tlsKey = key
            let server = try APIServer(configuration: configuration, backend: FixedBackend(engine: live.engine), log: .silent)
            try await server.start()
            #expect(server.url.hasPrefix("https://"))
            let trusted = try APIClient(url: server.url, user: "ana", tls: TLSOptions(caFile: certificates.caFile))
            _ = try await trusted.send("GET", "/v1/status")
            let untrusted = await failure { _ = try await APIClient(url: server.url, user: "ana").send("GET", "/v1/status") }
            #expect(untrusted?.code == "unreachable")
            #expect(untrusted?.reason.contains("not trusted") == true, "\(untrusted?.reason ?? "")")
            let remote = RemoteCluster(client: trusted)
            let following = Task { await remote.run() }
            await waitUntil(seconds: 10) { remote.notice() == nil }
            #expect(remote.snapshot.nodes.map(\.name) == ["a"])
            following.cancel()
            await server.stop()
        }
        let engine = Engine(config: config)
        var missingKey = APIServer.Configuration(host: host, port: 0)
        missingKey.tlsCertificate = certificate
        missingKey.tlsKey = certificates.folder + "/nope.key"
        #expect(throws: APIServer.Problem.self) { try APIServer(configuration: missingKey, backend: FixedBackend(engine: engine), log: .silent) }
    }

    @Test func connectionsAreCappedSlowRequestsCutAndBodiesCapped() async throws {
        let config = TestCluster.make(nodes: ["a"])
        // The cap, on a server whose timeout cannot interfere.
        try await withServedCluster(config, configure: { configuration in
            configuration.maxConnections = 2
            configuration.requestTimeout = .seconds(600)
        }) { server, _ in
            // Two idle connections take both places: a third is closed as soon as it is accepted.
            let first = try RawSocket(host: server.host, port: server.port)
            let second = try RawSocket(host: server.host, port: server.port)
            await waitUntil(seconds: 30) { server.connections.open >= 2 }
            let third = try RawSocket(host: server.host, port: server.port)
            third.send("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(third.readToEnd() == "", "closed without an answer")
            #expect(server.connections.counts.refused == 1)
            _ = (first, second)
        }
        // The timeouts and the body cap.
        try await withServedCluster(config, configure: { configuration in
            configuration.requestTimeout = .milliseconds(500)
        }) { server, _ in
            // An idle connection is closed once the request timeout passes without a request.
            let idle = try RawSocket(host: server.host, port: server.port)
            #expect(idle.readToEnd() == "")
            // A body that stops halfway is answered 408 when the time is up.
            let slow = try RawSocket(host: server.host, port: server.port)
            slow.send("POST /v1/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":")
            let timedOut = try #require(slow.readToEnd())
            #expect(timedOut.hasPrefix("HTTP/1.1 408"))
            #expect(timedOut.contains("\"error\":\"request_timeout\""))
            // A body announced over the cap is refused before it is read.
            let big = try RawSocket(host: server.host, port: server.port)
            big.send("POST /v1/silences HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n")
            let refused = try #require(big.readToEnd())
            #expect(refused.hasPrefix("HTTP/1.1 413"))
            #expect(refused.contains("the body is over 1 MiB"))
            // A well-behaved client still gets in.
            _ = try await APIClient(url: server.url, user: "ana").send("GET", "/v1/status")
        }
    }

    @Test func anAttachedClientSaysWhenTheServerIsGoneAndComesBack() async throws {
        let config = TestCluster.make(nodes: ["a", "b"])
        try await LiveCluster.with(config) { live in
            let host = TestCluster.uniqueAddress()
            let backend = FixedBackend(engine: live.engine)
            var server = try APIServer(configuration: APIServer.Configuration(host: host, port: 0), backend: backend, log: .silent)
            try await server.start()
            let port = server.port
            let remote = RemoteCluster(client: try APIClient(url: server.url, user: "bo"), maxBackoff: .milliseconds(300))
            let following = Task { await remote.run() }
            await waitUntil(seconds: 5) { remote.snapshot.nodes.count >= 2 }
            #expect(remote.snapshot.nodes.map(\.name) == ["a", "b"])
            #expect(remote.notice() == nil)
            // New generations arrive as deltas.
            // A generous bound: the answer, not the clock, is under test (a loaded run took over 5 s).
            let applied = remote.eventsApplied
            await waitUntil(seconds: 20) { remote.eventsApplied > applied }
            #expect(remote.eventsApplied > applied)

            await server.stop()
            await waitUntil(seconds: 20) { remote.isLost }
            let notice = try #require(remote.notice())
            #expect(notice.hasPrefix("disconnected since "))
            #expect(notice.contains("retrying"))
            #expect(remote.snapshot.nodes.count == 2, "the last data is kept, marked as not live")

            server = try APIServer(configuration: APIServer.Configuration(host: host, port: port), backend: backend, log: .silent)
            try await server.start()
            await waitUntil(seconds: 10) { remote.notice() == nil }
            #expect(remote.notice() == nil)
            following.cancel()
            await server.stop()
        }
    }

    @Test func metricsCarryEveryCheckAndPassPromtool() async throws {
        let config = try AlertingCluster.config()
        try await withServedCluster(config, faults: ["shop-2": .down]) { server, live in
            _ = await live.first(timeout: .seconds(10)) { $0.everyCheckHasResult }
            let page = String(decoding: try await APIClient(url: server.url, user: "x").send("GET", "/metrics"), as: UTF8.self)
            #expect(page.contains("vitals_check_status{node=\"shop-2\",service=\"shop\",check=\"http\",type=\"http\"} 2\n"))
            #expect(page.contains("vitals_check_status{node=\"shop-1\",service=\"shop\",check=\"http\",type=\"http\"} 0\n"))
            #expect(page.contains("vitals_check_latency_seconds{node=\"shop-1\",service=\"shop\",check=\"http\",type=\"http\"} "))
            #expect(page.contains("# TYPE vitals_probe_duration_seconds histogram"))
            #expect(page.contains("vitals_probe_duration_seconds_bucket{type=\"http\",le=\"+Inf\"} "))
            #expect(page.contains("vitals_probes_total{type=\"http\"} "))
            guard ExternalTool.available("promtool", package: "prometheus") else { return }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString).prom").path
            try Data(page.utf8).write(to: URL(fileURLWithPath: file))
            defer { unlink(file) }
            let check = try Run.process("/bin/sh", ["-c", "promtool check metrics < \(file)"])
            #expect(check.status == 0, "promtool: \(check.stdout)\(check.stderr)")
        }
    }
}

/// Waits until `condition` holds or `seconds` pass (the assertion after it says which).
func waitUntil(seconds: Int, _ condition: @Sendable () -> Bool) async {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() && ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(20))
    }
}

extension RemoteCluster {
    var isLost: Bool { if case .lost = connection { true } else { false } }
}
