import Foundation
@testable import VitalsEngine

/// Exposition text read the way production reads a scrape: an HTTP answer through
/// `Scraper.read` (ExpositionParser into the node's `NodeSeries`), not a parser of its own.
extension Scraper {
    static func outcome(
        _ text: String, node: String = "n", series: inout NodeSeries, ruleNames: Set<String> = [], at time: Date
    ) -> Result<Outcome, any Error> {
        let answer = HTTPResponse(status: 200, reason: "OK", body: "", truncated: false, latency: .milliseconds(1), bytes: Array(text.utf8))
        return Scraper(fetcher: HTTPFetcher()).read(answer, node: node, series: &series, ruleNames: ruleNames, at: time)
    }

    /// The node's reading from one scrape of `text` taken at `time`.
    static func reading(_ text: String, at time: Date) throws -> NodeMetricsReading {
        var series = NodeSeries()
        return try outcome(text, series: &series, at: time).get().reading
    }
}
