import Foundation
import Testing
import VitalsTesting

/// Registration and discovery with real clients against the release binary: Consul's Python
/// client, curl with Consul's documented payloads, and Prometheus' Consul service discovery.
@Suite(.serialized, .enabled(if: ExternalTool.available("curl", package: "curl")))
struct RegistrationEndToEndTests {
    let vitals = VitalsBinary.path
    let cluster = Fixtures.path("Tests/Fixtures/registration-cluster.yaml")
    static let address = "127.0.7.110"

    func serve(state: String, port: Int) throws -> BackgroundProcess {
        let server = try BackgroundProcess(vitals, ["serve", cluster, "--listen", "\(Self.address):\(port)", "--state", state, "--user", "server"])
        try server.waitForOutput(" info listening ", timeout: 30)
        return server
    }


    func url(_ path: String, port: Int) -> String { "http://\(Self.address):\(port)\(path)" }

    /// Debian's python3-consul, for the system's Python.
    static var pythonConsul: Bool {
        if FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/consul/base.py") { return true }
        print("⚠️  python3-consul is not installed (Debian package python3-consul); the Consul client test is skipped. scripts/test installs it.")
        return ExternalTool.isCI
    }

    @Test(.enabled(if: pythonConsul))
    func consulsPythonClientRegistersHeartbeatsFindsAndDeregisters() throws {
        let state = EndToEndTests.temporaryStatePath()
        let server = try serve(state: state, port: 7073)
        defer { server.stop() }
        let result = try Run.process("/usr/bin/python3", [Fixtures.path("Tests/Fixtures/consul/client.py"), Self.address, "7073"], timeout: 90)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)\n\(server.output.suffix(2000))")
        #expect(result.stdout.hasSuffix("OK\n"), "\(result.stdout)")
        #expect(server.output.contains("service registered id=api-1 service=api"))
        #expect(server.output.contains("service deregistered id=api-1"))

        // web-1 is still registered: a restart on the same state file brings it back.
        server.stop()
        let again = try serve(state: state, port: 7073)
        defer { again.stop() }
        let services = try curl([url("/v1/agent/services", port: 7073)])
        #expect(services.body.contains("\"web-1\"") && !services.body.contains("\"api-1\""), "\(services.body)")
    }

    @Test func consulsDocumentedPayloadsThroughCurl() throws {
        let state = EndToEndTests.temporaryStatePath()
        let server = try serve(state: state, port: 7075)
        defer { server.stop() }
        let register = url("/v1/agent/service/register", port: 7075)
        let redis = try curl(["-X", "PUT", register, "--data", "@" + Fixtures.path("Tests/Fixtures/consul/register-redis.json")])
        #expect(redis.status == 400)
        #expect(redis.body.contains("\"invalid_registration\"") && redis.body.contains("allow_api_exec_checks"), "\(redis.body)")
        let web = try curl(["-X", "PUT", register, "--data", "@" + Fixtures.path("Tests/Fixtures/consul/register-web-checks.json")])
        #expect(web.status == 200, "\(web.body)")
        let checks = try curl([url("/v1/agent/checks", port: 7075)])
        for id in ["service:web-1:1", "web-1-port", "service:web-1:3"] { #expect(checks.body.contains("\"\(id)\""), "\(checks.body)") }
        #expect(try curl(["-X", "PUT", url("/v1/agent/check/update/service:web-1:3", port: 7075), "--data", #"{"Status": "warning", "Output": "slow disk"}"#]).status == 200)
        // A reload of the file keeps what registered.
        let reload = try curl(["-X", "POST", url("/v1/reload", port: 7075), "-H", "X-Vitals-User: ana"])
        #expect(reload.status == 200, "\(reload.body)")
        #expect(try curl([url("/v1/agent/services", port: 7075)]).body.contains("\"web-1\""))
        #expect(try curl(["-X", "PUT", url("/v1/agent/service/maintenance/web-1?enable=true&reason=upgrade", port: 7075)]).status == 200)
        let maintenance = try curl([url("/v1/health/checks/web", port: 7075)])
        #expect(maintenance.body.contains("_service_maintenance:web-1") && maintenance.body.contains("upgrade"), "\(maintenance.body)")
        let collision = try curl(["-X", "PUT", register, "--data", #"{"Name": "shop", "ID": "shop-1"}"#])
        #expect(collision.status == 409 && collision.body.contains("is a node of the cluster file registration-cluster.yaml"), "\(collision.body)")
        #expect(try curl(["-X", "PUT", url("/v1/agent/service/deregister/web-1", port: 7075)]).status == 200)
    }

    /// The requests Prometheus' Consul discovery makes (its discovery/consul/consul.go): the
    /// datacenter from /v1/agent/self, then blocking reads of the catalog and of each service's
    /// health, `?dc=&stale&index=&wait=2m`, each answered when something changed.
    @Test func consulsDiscoveryRequestsAsPrometheusSendsThem() throws {
        let state = EndToEndTests.temporaryStatePath()
        let server = try serve(state: state, port: 7076)
        defer { server.stop() }
        let me = try JSONSerialization.jsonObject(with: Data(try curl([url("/v1/agent/self", port: 7076)]).body.utf8)) as? [String: [String: Any]]
        let dc = try #require(me?["Config"]?["Datacenter"] as? String)
        #expect(dc == "serving")
        func indexed(_ path: String) throws -> (index: UInt64, body: String) {
            let result = try Run.process("/usr/bin/curl", ["-s", "-D", "-", "--max-time", "30", url(path, port: 7076)], timeout: 40)
            let parts = result.stdout.components(separatedBy: "\r\n\r\n")
            let header = parts.first?.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("x-consul-index:") }
            return (UInt64(header?.split(separator: " ").last ?? "") ?? 0, parts.dropFirst().joined())
        }
        let services = try indexed("/v1/catalog/services?dc=\(dc)&stale=")
        #expect(services.index > 0 && !services.body.contains("\"cart\""))
        let health = try indexed("/v1/health/service/cart?dc=\(dc)&stale=")
        #expect(health.body == "[]\n")
        // Both blocking reads wait; one registration wakes both.
        let registerLater = Thread { usleep(500_000); _ = try? curl(["-X", "PUT", self.url("/v1/agent/service/register", port: 7076), "--data", #"{"ID": "cart-a", "Name": "cart", "Address": "127.0.7.120", "Port": 9101, "Tags": ["shop"]}"#]) }
        registerLater.start()
        let woken = try indexed("/v1/catalog/services?dc=\(dc)&stale=&index=\(services.index)&wait=2m")
        #expect(woken.index > services.index && woken.body.contains("\"cart\":[\"shop\"]"), "\(woken)")
        let instances = try indexed("/v1/health/service/cart?dc=\(dc)&stale=&index=\(health.index)&wait=2m")
        #expect(instances.index > health.index && instances.body.contains("\"ID\":\"cart-a\"") && instances.body.contains("\"Port\":9101"), "\(instances)")
        // Deregistration wakes the service's watch with an empty list.
        let dropLater = Thread { usleep(500_000); _ = try? curl(["-X", "PUT", self.url("/v1/agent/service/deregister/cart-a", port: 7076)]) }
        dropLater.start()
        let dropped = try indexed("/v1/health/service/cart?dc=\(dc)&stale=&index=\(instances.index)&wait=2m")
        #expect(dropped.index > instances.index && dropped.body == "[]\n", "\(dropped)")
    }

    @Test(.enabled(if: ExternalTool.available("prometheus", package: "prometheus")))
    func prometheusConsulDiscoveryFindsRegisteredInstancesAndDropsDeregisteredOnes() throws {
        let state = EndToEndTests.temporaryStatePath()
        let server = try serve(state: state, port: 7074)
        defer { server.stop() }
        let register = url("/v1/agent/service/register", port: 7074)
        for (id, port) in [("cart-a", 9101), ("cart-b", 9102)] {
            let body = #"{"ID": "\#(id)", "Name": "cart", "Address": "127.0.7.120", "Port": \#(port), "Tags": ["shop"], "Check": {"TTL": "1h", "Status": "passing"}}"#
            #expect(try curl(["-X", "PUT", register, "--data", body]).status == 200)
        }
        let folder = (state as NSString).deletingLastPathComponent
        // Debian builds Prometheus without Consul discovery (its Consul client library is not
        // packaged): `consul_sd_configs` is unknown there, and no other Prometheus can be installed.
        let probe = "scrape_configs: [ { job_name: x, consul_sd_configs: [ { server: \"127.0.0.1:1\" } ] } ]\n"
        try Data(probe.utf8).write(to: URL(fileURLWithPath: folder + "/probe.yml"))
        let check = try Run.process(try #require(ExternalTool.path(of: "promtool")), ["check", "config", folder + "/probe.yml"], timeout: 30)
        if (check.stdout + check.stderr).contains("field consul_sd_configs not found") {
            print("⚠️  this Prometheus was built without Consul service discovery (Debian's is); the consul_sd_configs test is skipped. The requests it makes are replayed by consulsDiscoveryRequestsAsPrometheusSendsThem.")
            return
        }
        let config = """
            global: { scrape_interval: 1s }
            scrape_configs:
              - job_name: discovered
                consul_sd_configs: [ { server: "\(Self.address):7074", services: [cart], refresh_interval: 1s } ]
                relabel_configs: [ { source_labels: [__meta_consul_service_id], target_label: instance_id } ]
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: folder + "/prometheus.yml"))
        let web = "127.0.7.111:9090"
        let prometheus = try BackgroundProcess(try #require(ExternalTool.path(of: "prometheus")), [
            "--config.file=\(folder)/prometheus.yml", "--storage.tsdb.path=\(folder)/tsdb", "--web.listen-address=\(web)",
        ])
        defer { prometheus.stop() }
        try prometheus.waitForOutput("Server is ready to receive web requests", timeout: 60)

        func discovered() throws -> [String] {
            let targets = try curl(["http://\(web)/api/v1/targets"])
            let data = (try? JSONSerialization.jsonObject(with: Data(targets.body.utf8)) as? [String: Any])?["data"] as? [String: Any]
            let active = data?["activeTargets"] as? [[String: Any]] ?? []
            return active.compactMap { ($0["labels"] as? [String: String])?["instance_id"] }.sorted()
        }
        func waitFor(_ wanted: [String]) throws -> [String] {
            var seen: [String] = []
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                seen = try discovered()
                if seen == wanted { break }
                usleep(500_000)
            }
            return seen
        }
        #expect(try waitFor(["cart-a", "cart-b"]) == ["cart-a", "cart-b"], "\(prometheus.output.suffix(3000))")
        #expect(try curl(["-X", "PUT", url("/v1/agent/service/deregister/cart-b", port: 7074)]).status == 200)
        #expect(try waitFor(["cart-a"]) == ["cart-a"], "\(prometheus.output.suffix(3000))")
    }
}
