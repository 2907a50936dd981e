import Testing
import VitalsCore
import VitalsTesting

@Suite struct ClusterConfigTests {
    @Test func ecommerceDemoParsesToTheExpectedModel() throws {
        let config = try Fixtures.ecommerce()
        #expect(config.name == "ecommerce")
        #expect(config.nodes.count == 21)
        #expect(config.defaults.interval == .seconds(3))
        #expect(config.defaults.timeout == .seconds(1))
        #expect(config.serviceNames == [
            "web", "api-gateway", "cart", "orders", "payments", "inventory", "search", "redis", "postgres", "postgres-replica", "etcd",
        ])
        let cart = try #require(config.nodes.first { $0.name == "cart-1" })
        #expect(cart.address == "127.0.1.15")
        #expect(cart.metricsURL == "http://127.0.1.15:9100/metrics")
        #expect(cart.services.map(\.name) == ["cart"])
        #expect(cart.services[0].dependsOn == ["redis", "inventory"])
        #expect(cart.services[0].checks.map(\.name) == ["http", "port"])
        #expect(cart.services[0].checks[0].target == .http(url: "http://127.0.1.15:8080/health"))
        #expect(cart.services[0].checks[1].target == .tcp(host: "127.0.1.15", port: 8080))
        #expect(cart.services[0].checks[0].interval == .seconds(3))
        let gateway = try #require(config.nodes.first { $0.name == "api-gateway-1" }?.services.first)
        let api = try #require(gateway.checks.first { $0.name == "api" })
        #expect(api.bodyContains == "pong")
        #expect(api.responseTimeBelow == .milliseconds(300))
        #expect(api.retries == 1)
        #expect(gateway.checks[0].interval == .seconds(2))
        #expect(config.simulation?.scenario == "cascading-failure" && config.simulation?.nodes == nil)
        #expect(config.simulation?.locks == [
            SimulatedLock(kind: .mutex, name: "/locks/orders-migration", contenders: ["orders-1", "orders-2"]),
            SimulatedLock(kind: .election, name: "/election/inventory", contenders: ["inventory-1", "inventory-2"]),
            SimulatedLock(kind: .leaderKey, name: "/service/postgres/leader", contenders: ["postgres-primary", "postgres-replica"]),
        ])
        #expect(config.locks.map(\.key) == ["/locks/", "/election/", "/service/postgres/leader"])
        #expect(config.locks.map(\.kind) == [.mutex, .election, .leaderKey])
        #expect(config.locks.allSatisfy { $0.endpoints.count == 3 })
    }

    @Test(arguments: ["ecommerce", "minimal"])
    func sampleClustersAreValidWithoutWarnings(name: String) {
        let result = ClusterConfigLoader.check(path: Fixtures.sampleCluster(name))
        #expect(result.config != nil)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
    }

    /// Each class of mistake, the message it gives, and where.
    @Test(arguments: [
        ("""
         cluster: x
         nodes:
           - name: a
             adress: 127.0.0.1
         """, "f.yaml:4:5: unknown key 'adress' in a node; did you mean 'address'?"),
        ("""
         cluster: x
         defaults: { interval: 5 }
         nodes: [ { name: a, address: 127.0.0.1 } ]
         """, "f.yaml:2:23: bad duration '5' for 'interval' in defaults: give a unit, like 5s"),
        ("""
         cluster: x
         nodes:
           - { name: a, address: 127.0.0.1 }
           - { name: a, address: 127.0.0.2 }
         """, "f.yaml:4:13: duplicate node name 'a' in the cluster"),
        ("""
         cluster: x
         nodes:
           - name: a
             address: 127.0.0.1
             services:
               - { name: web, depends_on: [api] }
         """, "f.yaml:6:35: service 'web' depends on 'api', which no node runs"),
        ("""
         cluster: x
         nodes:
           - name: a
             address: 127.0.0.1
             services:
               - name: web
                 checks:
                   - { name: up, interval: 1s }
         """, "f.yaml:8:13: check 'up' of service 'web' on node 'a' has no target: give one of 'http' (a URL), 'tcp' (host:port), 'exec' (a program and its arguments), 'grpc' (host:port), 'dns' (a name) or 'ttl' (a duration)"),
        ("""
         cluster: x
         nodes:
           - { name: a, address: 127.0.0.300 }
         """, "f.yaml:3:25: address '127.0.0.300' of node 'a' is not an IP address or host name"),
        ("""
         cluster: x
         nodes:
           - name: a
             address: 127.0.0.1
             services:
               - name: web
                 checks:
                   - { name: p, tcp: "127.0.0.1" }
         """, "f.yaml:8:29: check 'p' of service 'web' on node 'a': '127.0.0.1' is not host:port (like 127.0.0.1:8080)"),
        ("""
         cluster: x
         nodes:
           - { name: a, address: 127.0.0.1
         """, "f.yaml:4:1: YAML syntax: did not find expected ',' or '}'"),
        ("""
         cluster: x
         nodes:
           - name: a
             address: 127.0.0.1
             services:
               - name: web
                 checks:
                   - { name: h, http: "http://127.0.0.1:8080/health" }
                   - { name: h, tcp: "127.0.0.1:8080" }
         """, "f.yaml:9:21: duplicate check name 'h' in service 'web' on node 'a'"),
        ("""
         cluster: x
         nodes: [ { name: a, address: 127.0.0.1 } ]
         simulation: { scenario: cascading }
         """, "f.yaml:3:25: unknown scenario 'cascading' (known: steady, cascading-failure, lock-holder-dies, traffic-surge)"),
    ])
    func reportsEachMistakeWithItsPosition(yaml: String, expected: String) {
        let result = ClusterConfigLoader.check(text: yaml, file: "f.yaml")
        #expect(result.config == nil)
        #expect(result.diagnostics.map(\.description).contains(expected), "got: \(result.diagnostics.map(\.description))")
    }

    @Test func reportsEveryErrorNotJustTheFirst() {
        let yaml = """
            cluster: x
            defaults: { timeout: soon }
            nodes:
              - { name: a, address: "not an address" }
              - { name: b, address: 127.0.0.2, servics: [] }
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "f.yaml")
        #expect(result.config == nil)
        #expect(result.diagnostics.map(\.location.line) == [2, 4, 5])
    }

    @Test func missingRequiredKeysAreNamed() {
        let result = ClusterConfigLoader.check(text: "nodes:\n  - { address: 127.0.0.1 }\n", file: "f.yaml")
        let messages = result.diagnostics.map(\.description)
        #expect(messages.contains("f.yaml:1:1: the cluster file is missing 'cluster'"))
        #expect(messages.contains("f.yaml:2:5: a node is missing 'name'"))
    }

    @Test func logIntakeTakesListenersFilesAndASize() {
        let yaml = """
            cluster: x
            nodes:
              - name: a
                address: 127.0.0.1
                logs: [ { http: "http://127.0.0.1:8080/logs" }, { file: /var/log/a.log, service: web, from: beginning } ]
            log_intake: { syslog_udp: "127.0.0.1:5514", http: "127.0.0.1:9880", max_bytes: 128MB, files: ["/var/log/app/*.log", { path: /tmp/b.log, node: a }] }
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "f.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let intake = result.config?.logIntake
        #expect(intake?.syslogUDP?.port == 5514)
        #expect(intake?.http?.port == 9880)
        #expect(intake?.maxBytes == 128 * 1024 * 1024)
        #expect(intake?.files == [LogFileConfig(path: "/var/log/app/*.log"), LogFileConfig(path: "/tmp/b.log", node: "a")])
        #expect(result.config?.nodes[0].logURLs == ["http://127.0.0.1:8080/logs"])
        #expect(result.config?.nodes[0].logFiles == [LogFileConfig(path: "/var/log/a.log", node: "a", service: "web", fromBeginning: true)])
    }

    @Test func consulThresholdsAndExecChecksAreRead() throws {
        let yaml = """
            cluster: x
            nodes:
              - name: a
                address: 127.0.0.1
                checks:
                  - { name: disk, exec: [/usr/lib/nagios/plugins/check_disk, -w, "20%"], failures_before_critical: 3, failures_before_warning: 1, initial_status: critical }
                  - { name: bad1, tcp: "127.0.0.1:1", failures_before_critical: 2, failures_before_warning: 2 }
                  - { name: bad2, tcp: "127.0.0.1:1", initial_status: maybe }
                  - { name: bad3, exec: [] }
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "f.yaml")
        #expect(result.diagnostics.map(\.description) == [
            "f.yaml:7:97: check 'bad1' of node 'a': failures_before_warning (2) must be below failures_before_critical (2)",
            "f.yaml:8:59: check 'bad2' of node 'a': initial_status is passing, warning or critical, not 'maybe'",
            "f.yaml:9:29: check 'bad3' of node 'a': 'exec' needs at least the program to run",
        ])
        let good = try #require(ClusterConfigLoader.check(text: yaml.split(separator: "\n").prefix(6).joined(separator: "\n"), file: "f.yaml").config)
        let check = good.nodes[0].checks[0]
        #expect(check.target == .exec(argv: ["/usr/lib/nagios/plugins/check_disk", "-w", "20%"]))
        #expect(check.target.description == "/usr/lib/nagios/plugins/check_disk -w 20%")
        #expect(check.failuresBeforeWarning == 1)
        #expect(check.initialStatus == .critical)
    }

    @Test func logIntakeMistakesNameTheirPlace() {
        let yaml = """
            cluster: x
            nodes: [ { name: a, address: 127.0.0.1, logs: [ { file: /x.log, from: middle } ] } ]
            log_intake: { max_bytes: lots, http: nowhere, files: [ "relative.log" ] }
            """
        let messages = ClusterConfigLoader.check(text: yaml, file: "f.yaml").diagnostics.map(\.description)
        #expect(messages.contains("f.yaml:2:71: 'from' of a log file is end or beginning, not 'middle'"), "\(messages)")
        #expect(messages.contains("f.yaml:3:26: max_bytes in log_intake must be a size from 1MB to 64GB, like 64MB or 1GiB"), "\(messages)")
        #expect(messages.contains("f.yaml:3:38: 'http' in log_intake must be host:port, like 127.0.0.1:5514"), "\(messages)")
        #expect(messages.contains("f.yaml:3:56: a file in log_intake files must be a path, like /var/log/app/*.log"), "\(messages)")
    }

    @Test(arguments: [("127.0.0.1", true), ("::1", true), ("db.internal", true), ("256.1.1.1", false), ("1.2.3", false), ("bad host", false), ("-x.com", false)])
    func hostSyntax(host: String, valid: Bool) {
        #expect(AddressSyntax.isValidHost(host) == valid)
    }

    @Test func httpTargetsAreTakenApart() {
        #expect(HTTPTarget("http://127.0.1.7:8080/health?verbose=1") == nil ? false : true)
        let target = HTTPTarget("http://127.0.1.7:8080/health?verbose=1")
        #expect(target?.host == "127.0.1.7")
        #expect(target?.port == 8080)
        #expect(target?.path == "/health?verbose=1")
        #expect(HTTPTarget("http://example.com")?.port == 80)
        #expect(HTTPTarget("http://[::1]:9100/metrics")?.host == "::1")
        #expect(HTTPTarget("ftp://x/") == nil)
    }
}
