import Foundation
import Testing
import VitalsTesting

/// `vitals serve` and `vitals attach`, the release binary, driven with real curl, tmux, promtool
/// and a real Prometheus. Serialized: the fixture binds fixed loopback addresses (127.0.7.x).
@Suite(.serialized, .enabled(if: ExternalTool.available("curl", package: "curl") && ExternalTool.available("tmux", package: "tmux")))
struct ServeEndToEndTests {
    let vitals = VitalsBinary.path
    let cluster = Fixtures.path("Tests/Fixtures/serve-cluster.yaml")
    static let address = "127.0.7.100"

    func serve(state: String, port: Int = 7070, extra: [String] = []) throws -> BackgroundProcess {
        let server = try BackgroundProcess(vitals, ["serve", cluster, "--listen", "\(Self.address):\(port)", "--state", state, "--user", "server"] + extra)
        try server.waitForOutput("listening", timeout: 30)
        return server
    }


    func url(_ path: String, port: Int = 7070) -> String { "http://\(Self.address):\(port)\(path)" }

    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    /// Polls `GET /v1/alerts` until NodeDown fires; returns its id.
    func firingNodeDown(port: Int = 7070) throws -> String {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let (status, body) = try curl([url("/v1/alerts", port: port)])
            if status == 200, let alerts = try object(body)["alerts"] as? [[String: Any]],
               let alert = alerts.first(where: { $0["name"] as? String == "NodeDown" && $0["state"] as? String == "firing" }),
               let id = alert["id"] as? String {
                return id
            }
            usleep(200_000)
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "NodeDown did not fire within 30 s"])
    }

    @Test func everyRouteAnswersCurlAndSignalsReloadAndStop() throws {
        let state = EndToEndTests.temporaryStatePath()
        let server = try serve(state: state)
        defer { server.stop() }
        let user = ["-H", "X-Vitals-User: ana", "-H", "Content-Type: application/json"]

        let status = try curl([url("/v1/status")])
        #expect(status.status == 200)
        #expect(try object(status.body)["cluster"] as? String == "serving")
        let snapshot = try curl([url("/v1/snapshot")])
        #expect(snapshot.status == 200)
        #expect((try object(snapshot.body)["nodes"] as? [Any])?.count == 3)
        let events = try Run.process("/usr/bin/curl", ["-s", "-N", "--max-time", "3", url("/v1/events")], timeout: 20)
        #expect(events.stdout.hasPrefix("id: "))
        #expect(events.stdout.contains("event: snapshot\ndata: {"))
        let node = try curl([url("/v1/nodes/shop-1")])
        #expect(node.status == 200)
        #expect(((try object(node.body)["node"] as? [String: Any])?["name"] as? String) == "shop-1")
        #expect(try curl([url("/v1/nodes/shop-9")]).status == 404)

        let id = try firingNodeDown()
        let ack = try curl(["-X", "POST", url("/v1/alerts/\(id)/ack"), "-d", #"{"comment":"rebooting shop-2"}"#] + user)
        #expect(ack.status == 200, "\(ack.body)")
        let acked = try object(try curl([url("/v1/alerts")]).body)["alerts"] as? [[String: Any]]
        #expect(acked?.first { $0["id"] as? String == id }?["acknowledged_by"] as? String == "ana")
        #expect(try curl(["-X", "POST", url("/v1/alerts/\(id)/unack")] + user).status == 200)
        #expect(try curl(["-X", "POST", url("/v1/alerts/\(id)/ack"), "-d", #"{"comment":"x"}"#, "-H", "Content-Type: application/json"]).status == 400, "no user")

        let silence = try curl(["-X", "POST", url("/v1/silences"), "-d", #"{"matchers":{"node":"shop-2"},"duration":"1h","comment":"planned"}"#] + user)
        #expect(silence.status == 201)
        let silenceID = try #require(try object(silence.body)["id"] as? String)
        #expect(try curl([url("/v1/silences")]).body.contains(silenceID))
        #expect(try curl(["-X", "DELETE", url("/v1/silences/\(silenceID)")] + user).status == 200)

        #expect(try curl(["-X", "PUT", url("/v1/nodes/shop-2/maintenance"), "-d", #"{"reason":"reboot","duration":"10m"}"#] + user).status == 200)
        #expect(try curl(["-X", "DELETE", url("/v1/nodes/shop-2/maintenance")] + user).status == 200)
        #expect(try curl(["-X", "PUT", url("/v1/checks/shop-1/shop/heartbeat/ttl"), "-d", #"{"status":"pass","note":"cron ok"}"#] + user).status == 200)

        let pushed = try curl(["-X", "POST", url("/v1/logs"), "--data-binary", "{\"node\":\"shop-1\",\"level\":\"error\",\"message\":\"card declined by gateway\"}\n"])
        #expect(pushed.status == 200)
        #expect(try object(pushed.body)["accepted"] as? Int == 1)
        let found = try curl([url("/v1/logs?q=declined&level=error")])
        #expect(found.status == 200)
        #expect(found.body.contains("card declined by gateway"))

        let reload = try curl(["-X", "POST", url("/v1/reload")])
        #expect(reload.status == 200)
        #expect(reload.body.contains("serve-cluster.yaml is unchanged"))

        let metrics = try curl([url("/metrics")])
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("vitals_check_status{node=\"shop-2\",service=\"shop\",check=\"http\",type=\"http\"} 2"))
        if ExternalTool.available("promtool", package: "prometheus") {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-\(UUID().uuidString).prom").path
            try Data(metrics.body.utf8).write(to: URL(fileURLWithPath: file))
            defer { unlink(file) }
            let lint = try Run.process("/bin/sh", ["-c", "promtool check metrics < \(file)"])
            #expect(lint.status == 0, "\(lint.stdout)\(lint.stderr)")
        }

        // SIGHUP reloads; SIGTERM stops cleanly; the log said what people did.
        kill(server.pid, SIGHUP)
        try server.waitForOutput("SIGHUP: reloading", timeout: 10)
        try server.waitForOutput("summary=\"serve-cluster.yaml is unchanged\"", timeout: 10)
        kill(server.pid, SIGTERM)
        var code: Int32 = 0
        waitpid(server.pid, &code, 0)
        #expect(code == 0, "exit status \(code)")
        let log = server.output
        #expect(log.contains("alert acknowledged alert=NodeDown"))
        #expect(log.contains("by=ana comment=\"rebooting shop-2\""))
        #expect(log.contains("stopping signal=SIGTERM"))
        #expect(log.contains(" info stopped"))
    }

    @Test func twoAttachedDashboardsSeeEachOthersAckAndOutliveTheServer() throws {
        let state = EndToEndTests.temporaryStatePath()
        var server = try serve(state: state)
        defer { server.stop() }
        let ana = try TmuxSession(width: 140, height: 30)
        let bo = try TmuxSession(width: 140, height: 30)
        defer {
            ana.close()
            bo.close()
        }
        // Ana gives no name and has no $USER (root in CI has none): the password database names her.
        let login = try #require(getpwuid(getuid())?.pointee.pw_name.map { String(cString: $0) })
        try ana.run("cd \(FileManager.default.temporaryDirectory.path) && env -u USER \(vitals) attach \(url("")) --no-bell; echo EXITED:$?")
        try bo.run("cd \(FileManager.default.temporaryDirectory.path) && \(vitals) attach \(url("")) --user bo --no-bell; echo EXITED:$?")
        for session in [ana, bo] { try session.press("4") }
        _ = try firingNodeDown()
        try ana.waitFor("NodeDown firing", timeout: 30) { $0.contains("NodeDown") && $0.contains("firing") }
        try bo.waitFor("NodeDown firing", timeout: 30) { $0.contains("NodeDown") && $0.contains("firing") }
        try ana.press("a")
        try ana.waitFor("acknowledge NodeDown shop-2")
        try ana.run("rebooting shop-2")
        try ana.waitFor("acknowledged 1 alert as \(login)", "✓ \(login): rebooting shop-2")
        // Bo's dashboard, another process, shows Ana's ack.
        try bo.waitFor("✓ \(login): rebooting shop-2", timeout: 10)

        // The server dies: both dashboards say so and keep the last data, marked.
        kill(server.pid, SIGKILL)
        var status: Int32 = 0
        waitpid(server.pid, &status, 0)
        for session in [ana, bo] {
            let screen = try session.waitFor("disconnected since", timeout: 15)
            #expect(screen.contains("retrying"))
            #expect(screen.contains("data as of"))
            #expect(screen.contains("NodeDown"))
        }
        // Back on the same state file: both reconnect by themselves, and the ack is still there.
        server = try serve(state: state)
        for session in [ana, bo] {
            let screen = try session.waitFor("reconnected with the ack", timeout: 30) { $0.contains("✓ \(login): rebooting shop-2") && !$0.contains("disconnected") }
            #expect(screen.contains("NodeDown"))
        }
        try ana.press("q")
        try ana.waitFor("EXITED:0")
        try bo.press("q")
        try bo.waitFor("EXITED:0")
    }

    @Test func offLoopbackATokenIsRequiredAndChecked() throws {
        let port = 20_000 + Int(getpid() % 10_000)
        let state = EndToEndTests.temporaryStatePath()
        let refused = try Run.process(vitals, ["serve", cluster, "--listen", "0.0.0.0:\(port)", "--state", state], timeout: 30)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("0.0.0.0 is not a loopback address: give --token-file"))

        let tokenFile = (state as NSString).deletingLastPathComponent + "/token"
        try Data("0f3c9a7e5b1d2468ace013579bdf2468\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let server = try BackgroundProcess(vitals, ["serve", cluster, "--listen", "0.0.0.0:\(port)", "--state", state, "--token-file", tokenFile])
        defer { server.stop() }
        try server.waitForOutput("listening", timeout: 30)
        let without = try curl(["http://127.0.0.1:\(port)/v1/snapshot"])
        #expect(without.status == 401)
        #expect(try object(without.body)["error"] as? String == "unauthorized")
        #expect(try curl(["-H", "Authorization: Bearer wrong-token-0000000000000", "http://127.0.0.1:\(port)/v1/snapshot"]).status == 401)
        #expect(try curl(["-H", "Authorization: Bearer 0f3c9a7e5b1d2468ace013579bdf2468", "http://127.0.0.1:\(port)/v1/snapshot"]).status == 200)
        #expect(try curl(["-H", "X-Consul-Token: 0f3c9a7e5b1d2468ace013579bdf2468", "http://127.0.0.1:\(port)/metrics"]).status == 200)
    }

    /// schemathesis generates requests for every route of docs/openapi.yaml (the event stream
    /// aside: it never ends) and checks that none gets a server error, every status is documented,
    /// and every answer matches its schema.
    @Test(.enabled(if: ExternalTool.available("st", package: "schemathesis (PyPI)")))
    func schemathesisFindsTheAPIAsDocumented() throws {
        let state = EndToEndTests.temporaryStatePath()
        let server = try serve(state: state, port: 7072)
        defer { server.stop() }
        let st = try #require(ExternalTool.path(of: "st"))
        let run = try Run.process(st, [
            "run", Fixtures.path("docs/openapi.yaml"), "--url", url("", port: 7072), "--max-examples", "30", "--seed", "1",
            "-H", "X-Vitals-User: schemathesis", "--exclude-path", "/v1/events",
            // Whether a generated body "should" be accepted is the schema's approximation; these
            // two checks would test the generator, not the server.
            "--exclude-checks", "positive_data_acceptance,negative_data_rejection",
        ], timeout: 300)
        #expect(run.status == 0, "\(run.stdout.suffix(4000))\(run.stderr.suffix(2000))")
        #expect(kill(server.pid, 0) == 0, "the server survived: \(server.output.suffix(2000))")
        #expect(try curl([url("/v1/status", port: 7072)]).status == 200)
    }

    @Test(.enabled(if: ExternalTool.available("prometheus", package: "prometheus")))
    func aRealPrometheusScrapesVitals() throws {
        let state = EndToEndTests.temporaryStatePath()
        let server = try serve(state: state, port: 7071)
        defer { server.stop() }
        let folder = (state as NSString).deletingLastPathComponent
        let config = """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            scrape_configs:
              - job_name: vitals
                static_configs: [ { targets: ["\(Self.address):7071"] } ]
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: folder + "/prometheus.yml"))
        let web = "127.0.7.101:9090"
        let prometheus = try BackgroundProcess(try #require(ExternalTool.path(of: "prometheus")), [
            "--config.file=\(folder)/prometheus.yml", "--storage.tsdb.path=\(folder)/tsdb", "--web.listen-address=\(web)",
        ])
        defer { prometheus.stop() }
        try prometheus.waitForOutput("Server is ready to receive web requests", timeout: 60)
        var health = ""
        var samples: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let targets = try curl(["http://\(web)/api/v1/targets"])
            if let data = try? object(targets.body)["data"] as? [String: Any], let active = data["activeTargets"] as? [[String: Any]] {
                health = active.first?["health"] as? String ?? ""
            }
            let query = try curl(["http://\(web)/api/v1/query?query=vitals_check_status%7Bnode%3D%22shop-2%22%7D"])
            if let data = try? object(query.body)["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] { samples = result }
            if health == "up" && !samples.isEmpty { break }
            usleep(500_000)
        }
        #expect(health == "up", "\(prometheus.output.suffix(2000))")
        let value = (samples.first?["value"] as? [Any])?.last as? String
        #expect(value == "2", "shop-2's http check is critical: \(samples)")
    }
}
