import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsSim
import VitalsTesting

/// The engine end to end on loopback: scheduling, aggregation, metrics and publishing.
@Suite struct EngineTests {
    @Test func aSlowTargetDoesNotDelayAFastOne() async throws {
        let config = TestCluster.make(nodes: ["fast", "slow"], interval: .milliseconds(200), timeout: .seconds(3))
        let live = try await LiveCluster.start(config, faults: ["slow": .slow]) // every answer of "slow" takes 1.5s
        defer { Task { await live.stop() } }
        // Within the time the slow node needs for one answer, the fast node's check runs many times.
        let snapshot = await live.first(where: { snapshot in
            (snapshot.services.first { $0.node == "fast" }?.checks.first?.latencies.count ?? 0) >= 4
        }, timeout: .seconds(10))
        let found = try #require(snapshot, "the fast check never ran four times")
        let slowHTTP = found.services.first { $0.node == "slow" }?.checks.first { $0.name == "http" }
        #expect(slowHTTP?.hasResult == false, "the slow check should still be waiting for its first answer")
    }

    @Test func statusesAggregateWorstFirst() async throws {
        let config = TestCluster.make(nodes: ["ok", "broken", "degraded"])
        let live = try await LiveCluster.start(config, faults: ["broken": .down, "degraded": .errors])
        defer { Task { await live.stop() } }
        let snapshot = try #require(await live.first(where: \.everyCheckHasResult, timeout: .seconds(10)))
        #expect(snapshot.node(named: "ok")?.status == .passing)
        #expect(snapshot.node(named: "broken")?.status == .critical)
        let degraded = try #require(snapshot.services.first { $0.node == "degraded" })
        // errors: http is critical (500) while the port still accepts connections.
        #expect(degraded.checks.map(\.status) == [.critical, .passing])
        #expect(degraded.status == .critical)
        #expect(snapshot.nodeCounts == [.passing: 1, .critical: 2])
        #expect(snapshot.generation > 0)
    }

    @Test func generationsIncreaseAndMetricsArrive() async throws {
        let config = TestCluster.make(nodes: ["m"], interval: .milliseconds(150))
        let live = try await LiveCluster.start(config)
        defer { Task { await live.stop() } }
        // CPU needs two scrapes; memory one.
        let snapshot = try #require(await live.first(where: { $0.nodes.first?.metrics.cpu != nil }, timeout: .seconds(10)))
        let metrics = snapshot.nodes[0].metrics
        #expect((0...1).contains(metrics.cpu ?? -1))
        #expect((0...1).contains(metrics.memory ?? -1))
        #expect((metrics.requestRate ?? 0) > 0)
        let later = try #require(await live.first(where: { $0.generation > snapshot.generation }, timeout: .seconds(5)))
        #expect(later.generation > snapshot.generation)
    }

    @Test func aMalformedScrapeIsReportedNotFatal() async throws {
        // The check endpoint answers text that is not an exposition: the scrape fails with a
        // reason, and checks go on.
        var config = TestCluster.make(nodes: ["n"])
        let address = config.nodes[0].address
        config.nodes[0].metricsURL = "http://\(address):8080/api/ping"
        let live = try await LiveCluster.start(config)
        defer { Task { await live.stop() } }
        let snapshot = try #require(await live.first(where: { $0.nodes[0].metrics.scrapeError != nil && $0.everyCheckHasResult }, timeout: .seconds(10)))
        #expect(snapshot.nodes[0].metrics.scrapeError?.hasPrefix("malformed exposition: line 1") == true)
        #expect(snapshot.nodes[0].status == .passing)
    }

    @Test func recentLogLinesReachTheSnapshot() async throws {
        var config = TestCluster.make(nodes: ["talkative"], interval: .milliseconds(300))
        config.nodes[0].logURLs = ["http://\(config.nodes[0].address):8080/logs"]
        let live = try await LiveCluster.start(config)
        defer { Task { await live.stop() } }
        // The simulated node writes a line every 1.5–3.5 s, its first one at once.
        let snapshot = try #require(await live.first(where: { !$0.nodes[0].recentLogs.isEmpty }))
        #expect(snapshot.nodes[0].recentLogs.allSatisfy { $0.contains(" talkative: ") })
        #expect(snapshot.nodes[0].recentLogs.count <= Engine.logLinesKept)
    }

    @Test func theFocusedNodesLogsStayFreshOthersWaitForTheSweep() async throws {
        var config = TestCluster.make(nodes: ["looked-at", "ignored"], interval: .seconds(5))
        for index in config.nodes.indices { config.nodes[index].logURLs = ["http://\(config.nodes[index].address):8080/logs"] }
        let live = try await LiveCluster.start(config)
        defer { Task { await live.stop() } }
        let first = try #require(await live.first(where: { $0.nodes.allSatisfy { !$0.recentLogs.isEmpty } }))
        await live.engine.focus("looked-at")
        // A simulated node logs every 1.5–3.5 s; the focused one is re-read every second.
        let later = try #require(await live.first(where: { $0.nodes[0].recentLogs != first.nodes[0].recentLogs }, timeout: .seconds(15)))
        #expect(later.nodes[1].recentLogs == first.nodes[1].recentLogs, "unfocused nodes are re-read only every 30 s")
    }
}
