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
        defer { Task { await simulator.stop() } }
        let address = config.nodes[0].address
        let fetcher = HTTPFetcher()
        let metrics = try await fetcher.get(try #require(HTTPTarget("http://\(address):9100/metrics")), timeout: .seconds(2))
        #expect(metrics.status == 200)
        let samples = try PrometheusTextParser.parse(metrics.body)
        #expect(samples.contains { $0.name == "node_memory_MemTotal_bytes" })
        #expect(samples.filter { $0.name == "node_cpu_seconds_total" }.count == 12)
        try await Task.sleep(for: .seconds(2))
        let logs = try await fetcher.get(try #require(HTTPTarget("http://\(address):8080/logs")), timeout: .seconds(2))
        #expect(logs.body.contains(" INFO exporter: "))
        let missing = try await fetcher.get(try #require(HTTPTarget("http://\(address):8080/nope")), timeout: .seconds(2))
        #expect(missing.status == 404)
    }

    @Test func bindingATakenAddressSaysWhich() async throws {
        let config = TestCluster.make(nodes: ["twin"])
        let first = Simulator(config: config)
        try await first.start()
        defer { Task { await first.stop() } }
        let second = Simulator(config: config)
        await #expect(throws: SimulatorError.self) { try await second.start() }
        do {
            try await second.start()
        } catch {
            #expect("\(error)".hasPrefix("cannot simulate node 'twin': listening on \(config.nodes[0].address):8080 failed"))
        }
    }
}
