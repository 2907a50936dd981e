import Foundation
import Testing
import VitalsCore
import VitalsEngine
import VitalsSim
import VitalsTesting

/// The engine end to end on loopback: scheduling, aggregation, metrics and publishing.
@Suite struct EngineTests {
    @Test func aSilentTargetDoesNotDelayAFastOne() async throws {
        let config = TestCluster.make(nodes: ["fast", "silent"], interval: .milliseconds(200), timeout: .seconds(30))
        try await LiveCluster.with(config, faults: ["silent": .hang]) { live in // "silent" never answers
            // While the silent node's first probe waits out its 30 s timeout, the fast node's check runs many times.
            let snapshot = await live.first(where: { snapshot in
                (snapshot.services.first { $0.node == "fast" }?.checks.first?.latencies.count ?? 0) >= 4
            }, timeout: .seconds(20))
            let found = try #require(snapshot, "the fast check never ran four times")
            let silentHTTP = found.services.first { $0.node == "silent" }?.checks.first { $0.name == "http" }
            #expect(silentHTTP?.hasResult == false, "the silent check should still be waiting for its first answer")
        }
    }

    @Test func aSilentTargetTimesOutAndTheOthersGoOn() async throws {
        let config = TestCluster.make(nodes: ["fine", "hole"], interval: .milliseconds(200), timeout: .milliseconds(500))
        try await LiveCluster.with(config, faults: ["hole": .hang]) { live in
            let snapshot = try #require(await live.first(where: \.everyCheckHasResult))
            let hole = try #require(snapshot.services.first { $0.node == "hole" })
            #expect(hole.checks.map(\.status) == [.critical, .passing], "http times out; the port still accepts")
            #expect(hole.checks[0].output.hasSuffix("timed out after 500ms"))
            #expect(snapshot.node(named: "fine")?.status == .passing)
        }
    }

    @Test func aOneShotRunHasEveryAnswerSoonWhateverTheInterval() async throws {
        let config = TestCluster.make(nodes: ["a", "b", "c"], interval: .seconds(600))
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(200)
        try await LiveCluster.with(config, options: options) { live in
            // Spread over 600 s, the first answers would take minutes; within 200 ms they are all in.
            let snapshot = await live.first(where: \.everyCheckHasResult, timeout: .seconds(10))
            #expect(snapshot != nil)
        }
    }

    @Test func statusesAggregateWorstFirst() async throws {
        let config = TestCluster.make(nodes: ["ok", "broken", "degraded"])
        try await LiveCluster.with(config, faults: ["broken": .down, "degraded": .errors]) { live in
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
    }

    @Test func metricsArriveAndGenerationsOnlyGrow() async throws {
        let config = TestCluster.make(nodes: ["m"], interval: .milliseconds(150))
        try await LiveCluster.with(config) { live in
            // CPU needs two scrapes; memory one.
            let snapshot = try #require(await live.first(where: { $0.nodes.first?.metrics.cpu != nil }, timeout: .seconds(10)))
            let metrics = snapshot.nodes[0].metrics
            #expect((0...1).contains(metrics.cpu ?? -1))
            #expect((0...1).contains(metrics.memory ?? -1))
            #expect((metrics.requestRate ?? 0) > 0)
            // Every snapshot a subscriber sees after this one is newer, and time moves forward.
            var seen: [ClusterSnapshot] = []
            for await next in live.engine.store.updates() {
                seen.append(next)
                if seen.count == 4 { break }
            }
            let generations = seen.map(\.generation)
            #expect(generations.first ?? 0 >= snapshot.generation)
            #expect(zip(generations, generations.dropFirst()).allSatisfy { $0 < $1 }, "\(generations)")
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.time <= $1.time })
        }
    }

    @Test func scrapesReuseTheirConnection() async throws {
        var config = TestCluster.make(nodes: ["kept"], interval: .milliseconds(100))
        // Only the scrape: no checks, so every connection the node accepts is a scrape's.
        config.nodes[0].services[0].checks = []
        // A timeout longer than the interval: on a loaded machine a slow scrape must not be cut
        // (a cut connection is not reused, and that is not what this test is about).
        config.nodes[0].metricsTimeout = .seconds(5)
        try await LiveCluster.with(config) { live in
            let first = try #require(await live.first(where: { $0.nodes[0].metrics.cpu != nil }))
            // With no checks, each new generation is a new scrape: wait for five more.
            _ = try #require(await live.first(where: { $0.generation >= first.generation + 5 }, timeout: .seconds(30)))
            #expect(live.simulator.acceptedConnections == 1)
        }
    }

    @Test func aMalformedScrapeIsReportedNotFatal() async throws {
        // The check endpoint answers text that is not an exposition: the scrape fails with a
        // reason, and checks go on.
        var config = TestCluster.make(nodes: ["n"])
        let address = config.nodes[0].address
        config.nodes[0].metricsURL = "http://\(address):8080/api/ping"
        try await LiveCluster.with(config) { live in
            let snapshot = try #require(await live.first(where: { $0.nodes[0].metrics.scrapeError != nil && $0.everyCheckHasResult }, timeout: .seconds(10)))
            #expect(snapshot.nodes[0].metrics.scrapeError?.hasPrefix("malformed exposition: line 1") == true)
            #expect(snapshot.nodes[0].status == .passing)
        }
    }

    @Test func recentLogLinesReachTheSnapshot() async throws {
        var config = TestCluster.make(nodes: ["talkative"], interval: .milliseconds(300))
        config.nodes[0].logURLs = ["http://\(config.nodes[0].address):8080/logs"]
        var options = Engine.Options()
        options.logSweep = .seconds(1)
        try await LiveCluster.with(config, options: options) { live in
            // The simulated node writes a line every 1.5–3.5 s, its first one at once.
            let snapshot = try #require(await live.first(where: { !$0.nodes[0].recentLogs.isEmpty }))
            #expect(snapshot.nodes[0].recentLogs.allSatisfy { $0.contains(" talkative: ") })
            #expect(snapshot.nodes[0].recentLogs.count <= Engine.logLinesKept)
        }
    }

    @Test func theFocusedNodesLogsStayFreshOthersWaitForTheSweep() async throws {
        var config = TestCluster.make(nodes: ["looked-at", "ignored"], interval: .seconds(5))
        for index in config.nodes.indices { config.nodes[index].logURLs = ["http://\(config.nodes[index].address):8080/logs"] }
        var options = Engine.Options()
        options.logSweep = .seconds(3600)  // after the first read at start, the sweep never comes again
        options.logHoldback = .zero  // each read's lines are stored at once, not over the next seconds
        try await LiveCluster.with(config, options: options) { live in
            live.engine.focus("looked-at")
            let first = try #require(await live.first(where: { $0.nodes.allSatisfy { !$0.recentLogs.isEmpty } }))
            // A simulated node logs every 1.5–3.5 s; the focused one is re-read every second.
            let later = try #require(await live.first(where: { $0.nodes[0].recentLogs != first.nodes[0].recentLogs }, timeout: .seconds(15)))
            #expect(later.nodes[1].recentLogs == first.nodes[1].recentLogs, "an unfocused node waits for the next sweep")
        }
    }
}
