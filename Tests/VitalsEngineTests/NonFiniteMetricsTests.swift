import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine

/// Scrapes that report numbers no counter can have.
@Suite struct NonFiniteMetricsTests {
    let t0 = Date(timeIntervalSince1970: 1_000)

    func reading(_ exposition: String, at seconds: Double) throws -> NodeMetricsReading {
        try Scraper.reading(exposition, at: t0.addingTimeInterval(seconds))
    }

    @Test func ratesComeFromTwoScrapes() throws {
        let first = try reading("http_requests_total{code=\"200\"} 100\nhttp_requests_total{code=\"500\"} 0\n", at: 0)
        let second = try reading("http_requests_total{code=\"200\"} 130\nhttp_requests_total{code=\"500\"} 10\n", at: 2)
        let metrics = second.metrics(since: first)
        #expect(metrics.requestRate == 20)
        #expect(metrics.errorRatio == 0.25)
        #expect(metrics.scrapeError == nil)
    }

    /// `1e400` is no float at all: the scrape skips its line and says which.
    @Test func anOutOfRangeValueIsASkippedLineWithItsReason() throws {
        var series = NodeSeries()
        let text = "http_requests_total{code=\"200\"} 130\nhttp_requests_total{code=\"500\"} 1e400\n"
        let outcome = try Scraper.outcome(text, series: &series, at: t0).get()
        #expect(outcome.reading.requests == 130, "the good line still counts")
        #expect(outcome.stats.badLines == 1)
        #expect(outcome.stats.firstBadLine == "line 2, column 33: value '1e400' is out of range", "\(outcome.stats.firstBadLine ?? "nil")")
    }

    @Test(arguments: ["+Inf", "NaN", "-Inf"])
    func aNonFiniteCounterIsIgnoredAndNamed(value: String) throws {
        let first = try reading("http_requests_total{code=\"200\"} 100\nnode_memory_MemTotal_bytes 100\nnode_memory_MemAvailable_bytes 25\n", at: 0)
        let second = try reading(
            "http_requests_total{code=\"200\"} 130\nhttp_requests_total{code=\"500\"} \(value)\nnode_memory_MemTotal_bytes 100\nnode_memory_MemAvailable_bytes 25\n",
            at: 1
        )
        let metrics = second.metrics(since: first)
        #expect(metrics.requestRate == 30, "the finite series still count")
        #expect(metrics.memory == 0.75)
        #expect(metrics.scrapeError == "ignored non-finite values of http_requests_total")
        let snapshot = ClusterSnapshot(
            cluster: "c", generation: 1, time: t0,
            nodes: [NodeSnapshot(name: "n", address: "127.0.0.1", status: .passing, services: [], metrics: metrics)], services: []
        )
        #expect(throws: Never.self) { try snapshot.jsonData() }
    }

    @Test func aHugeButFiniteCounterGivesAFiniteRate() throws {
        let first = try reading("http_requests_total 0\n", at: 0)
        let second = try reading("http_requests_total 1e300\n", at: 1)
        let rate = try #require(second.metrics(since: first).requestRate)
        #expect(rate.isFinite)
    }
}
