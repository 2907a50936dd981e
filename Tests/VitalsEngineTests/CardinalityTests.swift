import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsExposition
import VitalsTesting

/// A target that mints series cannot grow Vitals without bound: `sample_limit` and `label_limit`
/// fail a scrape whole with the reason (Prometheus' semantics), series a target no longer has
/// are forgotten, and every store together stays within `metrics.max_bytes`.
@Suite struct CardinalityTests {
    func response(_ text: String) -> HTTPResponse {
        HTTPResponse(status: 200, reason: "OK", body: "", truncated: false, latency: .milliseconds(1), bytes: Array(text.utf8))
    }

    func exposition(_ count: Int, from first: Int = 0, name: String = "card", labels: Int = 1) -> String {
        var text = "# TYPE \(name) counter\n"
        for id in first..<(first + count) {
            let extra = (1..<labels).map { ",l\($0)=\"v\"" }.joined()
            text += "\(name){id=\"\(id)\"\(extra)} \(id)\n"
        }
        return text
    }

    @Test func aScrapeOverItsLimitsIsRefusedWholeAndKeepsNothing() throws {
        let scraper = Scraper(fetcher: HTTPFetcher())
        var series = NodeSeries()
        let good = scraper.read(response(exposition(10)), node: "n", series: &series, ruleNames: ["card"], at: Date(), limits: (100, 8))
        #expect((try? good.get()) != nil)
        #expect(series.table.count == 10)
        let many = scraper.read(response(exposition(500, from: 10)), node: "n", series: &series, ruleNames: ["card"], at: Date(), limits: (100, 8))
        guard case .failure(let error) = many else { Issue.record("500 samples passed a limit of 100"); return }
        #expect("\(error)" == "more than 100 samples (sample_limit); scrape refused whole, as Prometheus does")
        #expect(series.table.count == 10, "the series it had interned are forgotten")
        let wide = scraper.read(response(exposition(3, from: 1000, labels: 20)), node: "n", series: &series, ruleNames: ["card"], at: Date(), limits: (100, 8))
        guard case .failure(let wideError) = wide else { Issue.record("20 labels passed a limit of 8"); return }
        #expect("\(wideError)".contains("a series with more than 8 labels (label_limit)"))
        #expect(series.table.count == 10)
        // What was kept still reads: the ten series have one sample each.
        let id = try #require(Array("card{id=\"3\"}".utf8).withUnsafeBytes { series.table.find($0) })
        #expect(series.store.samples(of: id).map(\.value) == [3])
    }

    /// Series rules read cost kilobytes each: no more than `metrics.max_bytes` leaves room for.
    @Test func seriesRulesReadAreBoundedByTheStoresBytes() throws {
        let scraper = Scraper(fetcher: HTTPFetcher())
        var series = NodeSeries()
        let text = exposition(300) + exposition(50, name: "other")
        let refused = scraper.read(response(text), node: "n", series: &series, ruleNames: ["card"], at: Date(), ruleSeries: 200)
        guard case .failure(let error) = refused else { Issue.record("300 rule series passed a budget of 200"); return }
        #expect("\(error)" == "300 series read by alert rules, more than the 200 metrics.max_bytes leaves room for; scrape refused whole")
        #expect(series.table.count == 0)
        #expect((try? scraper.read(response(text), node: "n", series: &series, ruleNames: ["card"], at: Date(), ruleSeries: 300).get()) != nil)
    }

    /// 1,000 new series a scrape for 100 scrapes, beside ten that stay: the table holds what
    /// the target still has, and the ten keep their history across the renumbering.
    @Test func seriesATargetMintsAreForgottenAndTheRestKeepTheirPast() async throws {
        // Two seconds of CPU in a debug build: on a thread of its own, not the cooperative pool;
        // what it found is checked here.
        let found = try await offThePool { try self.mintedSeries() }
        #expect(found.mostHeld <= 2 * 1_010 + 1_024, "\(found.mostHeld) series held at most")
        #expect(found.notes.contains { $0.hasSuffix("series gone from the target forgotten") })
        #expect(found.stableSamples == Array(repeating: 7, count: 100), "a stable series keeps every sample")
        #expect(!found.goneKept)
    }

    struct Minted: Sendable {
        var mostHeld = 0
        var notes: [String] = []
        var stableSamples: [Double] = []
        var goneKept = true
    }

    /// 1,000 new series a scrape for 100 scrapes beside ten that stay.
    func mintedSeries() throws -> Minted {
        let scraper = Scraper(fetcher: HTTPFetcher())
        var series = NodeSeries(interval: .seconds(1), retention: .seconds(3600))
        var found = Minted()
        for scrape in 0..<100 {
            let text = exposition(10, name: "stable") + exposition(1_000, from: scrape * 1_000)
            let outcome = try scraper.read(
                response(text), node: "n", series: &series, ruleNames: ["card", "stable"], at: Date(timeIntervalSince1970: Double(scrape))
            ).get()
            found.notes += outcome.stats.notes
            found.mostHeld = max(found.mostHeld, series.table.count)
        }
        if let id = Array("stable{id=\"7\"}".utf8).withUnsafeBytes({ series.table.find($0) }) {
            found.stableSamples = series.store.samples(of: id).map(\.value)
        }
        found.goneKept = Array("card{id=\"5\"}".utf8).withUnsafeBytes { series.table.find($0) } != nil
        return found
    }

    /// A live engine against a real socket: the limit from the cluster file fails the scrape
    /// with the reason shown for the node, and the store is bounded by `metrics.max_bytes`.
    @Test func theEngineSaysWhichLimitAScrapePassed() async throws {
        let text = exposition(2_000)
        let server = try await CannedServer.start(
            answer: Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)".utf8), close: true
        )
        let yaml = """
            cluster: card
            metrics: { sample_limit: 1000, max_bytes: 1MB }
            nodes:
              - name: noisy
                address: \(server.host)
                metrics: { url: "http://\(server.host):\(server.port)/metrics", interval: 200ms }
            alerts:
              - { name: Card, expr: "sum(rate(card[1m])) > 0" }
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "card.yaml")
        let config = try #require(result.config, "\(result.diagnostics)")
        #expect(config.metricsLimits.sampleLimit == 1_000 && config.metricsLimits.maxBytes == 1 << 20)
        let engine = Engine(config: config, options: Engine.Options())
        let running = Task { await engine.run() }
        defer { running.cancel() }
        let deadline = ContinuousClock.now + .seconds(20)
        while engine.store.latest.nodes.first?.metrics.scrapeError == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(engine.store.latest.nodes.first?.metrics.scrapeError == "more than 1000 samples (sample_limit); scrape refused whole, as Prometheus does")
        await server.stop()
    }

    @Test func limitsAreReadFromTheFileWithTheirPlace() {
        let yaml = """
            cluster: x
            metrics: { max_bytes: 10KB, sample_limit: 0 }
            nodes: [ { name: a, address: 127.0.0.1, metrics: { url: "http://127.0.0.1:9/m", label_limit: 5000 } } ]
            """
        let messages = ClusterConfigLoader.check(text: yaml, file: "m.yaml").diagnostics.map(\.description)
        #expect(messages.contains("m.yaml:2:23: max_bytes in metrics must be a size from 1MB to 64GB, like 256MB or 1GiB"), "\(messages)")
        #expect(messages.contains { $0.hasPrefix("m.yaml:2:43: 'sample_limit' in metrics must be a whole number from 1 to 10000000") }, "\(messages)")
        #expect(messages.contains { $0.contains("'label_limit'") && $0.contains("from 1 to 1000") }, "\(messages)")
    }
}
