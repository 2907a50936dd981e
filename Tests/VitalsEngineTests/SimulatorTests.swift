import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsSim
import VitalsTesting

@Suite struct SimulatorTests {
    @Test func cascadingFailurePlaysInOrderAndHeals() {
        let scenario = Scenario.cascadingFailure
        func health(_ service: String, at seconds: Int) -> SimulatedCondition.Health {
            scenario.condition(services: [service], elapsed: .seconds(seconds)).health
        }
        #expect(scenario.period == .seconds(120))
        #expect(scenario.condition(services: ["postgres"], elapsed: .seconds(5)) == .healthy)
        #expect(scenario.condition(services: ["postgres"], elapsed: .seconds(30)).extraLatency == .milliseconds(1500))
        #expect(health("orders", at: 20) == .ok)
        if case .failing(let why) = health("orders", at: 40) { #expect(why.contains("postgres")) } else { Issue.record("orders should fail at 40s") }
        if case .degraded = health("api-gateway", at: 60) {} else { Issue.record("api-gateway should be degraded at 60s") }
        if case .degraded = health("web", at: 60) {} else { Issue.record("web should be degraded at 60s") }
        #expect(health("web", at: 110) == .ok)
        #expect(health("orders", at: 160) != .ok, "the scenario loops")
    }

    @Test func portsComeFromTheFile() throws {
        let config = try Fixtures.ecommerce()
        let simulator = Simulator(config: config)
        #expect(simulator.endpoints.count == 21)
        #expect(simulator.endpoints["postgres-primary"]?.map(\.port) == [5432, 8008, 9100])
        #expect(simulator.endpoints["cart-1"]?.map(\.port) == [8080, 9100])
    }

    @Test func servesMetricsThatParseAndLogs() async throws {
        let config = TestCluster.make(nodes: ["exporter"])
        let simulator = Simulator(config: config)
        try await simulator.start()
        do {
            let address = config.nodes[0].address
            let fetcher = HTTPFetcher()
            let metrics = try await fetcher.get(try #require(HTTPTarget("http://\(address):9100/metrics")), timeout: .seconds(2))
            #expect(metrics.status == 200)
            var table = SeriesTable()
            var ids: [Int32] = []
            let summary = Array(metrics.body.utf8).withUnsafeBytes { bytes in
                ExpositionParser().parse(bytes, into: &table) { id, _, _ in ids.append(id) }
            }
            let names = ids.map { table.name($0) }
            #expect(summary.failures.isEmpty, "\(summary.failures)")
            #expect(names.contains("node_memory_MemTotal_bytes"))
            #expect(names.filter { $0 == "node_cpu_seconds_total" }.count == 12)
            // The node logs its first line at once, then every 1.5–3.5 s: poll until one is there.
            let logsTarget = try #require(HTTPTarget("http://\(address):8080/logs"))
            var logs = try await fetcher.get(logsTarget, timeout: .seconds(2))
            for _ in 0..<100 where !logs.body.contains(" INFO exporter: ") {
                try await Task.sleep(for: .milliseconds(50))
                logs = try await fetcher.get(logsTarget, timeout: .seconds(2))
            }
            #expect(logs.body.contains(" INFO exporter: "))
            let missing = try await fetcher.get(try #require(HTTPTarget("http://\(address):8080/nope")), timeout: .seconds(2))
            #expect(missing.status == 404)
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    @Test func aReloadKeepsTheSimulatorUnlessWhatItServesChanged() throws {
        let config = TestCluster.make(nodes: ["a", "b"])
        let running = Simulator(config: config)
        var checkEdited = config
        checkEdited.nodes[0].services[0].checks[0].timeout = .seconds(9)
        #expect(running.servesTheSame(as: Simulator(config: checkEdited)), "a check's timeout is not the simulator's business")
        var portAdded = config
        portAdded.nodes[0].services[0].port = 7070
        #expect(!running.servesTheSame(as: Simulator(config: portAdded)))
        var nodeGone = config
        nodeGone.nodes.removeLast()
        #expect(!running.servesTheSame(as: Simulator(config: nodeGone)))
        var scenario = config
        scenario.simulation?.scenario = "cascading-failure"
        #expect(!running.servesTheSame(as: Simulator(config: scenario)))
    }

    @Test func simulatedEtcdNodesAnswerGRPCHealthBesideHTTPOnOnePort() async throws {
        var config = TestCluster.make(nodes: ["etcd-1"])
        let address = config.nodes[0].address
        config.nodes[0].services[0].checks.append(CheckConfig(name: "grpc", target: .grpc(host: address, port: 8080, service: "", tls: false)))
        let simulator = Simulator(config: config)
        try await simulator.start()
        let check = CheckConfig(name: "grpc", target: .grpc(host: address, port: 8080, service: "", tls: false), timeout: .seconds(2))
        let serving = await GRPCProbe().run(check)
        #expect(serving.status == .passing, "\(serving.output)")
        #expect(serving.output == "gRPC \(address):8080 (server): SERVING")
        // The same port still answers HTTP/1.
        let http = try await HTTPFetcher().get(try #require(HTTPTarget("http://\(address):8080/health")), timeout: .seconds(2))
        #expect(http.status == 200)
        try await simulator.inject(.errors, into: "etcd-1")
        let failing = await GRPCProbe().run(check)
        #expect(failing.status == .critical)
        #expect(failing.output.hasSuffix("NOT_SERVING"))
        try await simulator.inject(.down, into: "etcd-1")
        #expect(await GRPCProbe().run(check).output.hasSuffix("connection refused"))
        await simulator.stop()
    }

    @Test func faultsNamedInTheFileAreInjectedAtStart() async throws {
        var config = TestCluster.make(nodes: ["quiet", "gone"])
        config.simulation?.faults = ["quiet": "hang", "gone": "down"]
        let simulator = Simulator(config: config)
        try await simulator.start()
        #expect(simulator.injectedFaults == ["quiet": .hang, "gone": .down])
        let fetcher = HTTPFetcher()
        let quiet = try #require(HTTPTarget("http://\(config.nodes[0].address):8080/health"))
        await #expect(throws: FetchError.self) { try await fetcher.get(quiet, timeout: .milliseconds(300)) }
        let gone = try #require(HTTPTarget("http://\(config.nodes[1].address):8080/health"))
        do {
            _ = try await fetcher.get(gone, timeout: .seconds(1))
            Issue.record("a node that is down should refuse connections")
        } catch {
            #expect("\(error)".contains("connection refused"))
        }
        await simulator.stop()
    }

    @Test func aGeneratedFleetIsAValidFileOnDistinctAddresses() throws {
        var fleet = FleetGenerator(nodes: 700, checksPerNode: 4, interval: .seconds(10), timeout: .seconds(2))
        fleet.blackHoles = 3
        let result = ClusterConfigLoader.check(text: fleet.yaml, file: "fleet.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.prefix(3))")
        let config = try #require(result.config)
        #expect(config.nodes.count == 700)
        #expect(config.allChecks.count == 2_800)
        #expect(Set(config.nodes.map(\.address)).count == 700)
        #expect(config.nodes.allSatisfy { AddressSyntax.isIPv4($0.address) && $0.address.hasPrefix("127.") })
        #expect(config.simulation?.faults == ["n1": "hang", "n2": "hang", "n3": "hang"])
        #expect(FleetGenerator.address(of: 62_499) != FleetGenerator.address(of: 62_500))
    }

    @Test func everyFaultTheFileMayNameExists() {
        #expect(Set(Fault.allCases.map(\.rawValue)) == Set(SimulationConfig.knownFaults))
    }

    @Test func bindingATakenAddressSaysWhich() async throws {
        let config = TestCluster.make(nodes: ["twin"])
        let first = Simulator(config: config)
        try await first.start()
        let second = Simulator(config: config)
        do {
            try await second.start()
            Issue.record("the second simulator should not bind a taken address")
        } catch {
            #expect("\(error)".hasPrefix("cannot simulate node 'twin': listening on \(config.nodes[0].address):8080 failed"))
        }
        await second.stop()
        await first.stop()
    }
}
