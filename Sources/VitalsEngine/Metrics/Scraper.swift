import VitalsCore

/// Reads one node's `/metrics` over a kept-alive connection and parses it.
struct Scraper: Sendable {
    /// The largest exposition kept; a larger one is an error for that scrape.
    static let bodyLimit = 16 * 1024 * 1024

    let fetcher: HTTPFetcher

    /// The samples of one scrape, or why there are none.
    func scrape(_ target: HTTPTarget, timeout: Duration) async -> Result<[MetricSample], any Error> {
        do {
            let response = try await fetcher.get(target, timeout: timeout, maxBody: Self.bodyLimit, keepAlive: true)
            guard response.status == 200 else {
                return .failure(ScrapeError(reason: "HTTP \(response.status) \(response.reason)"))
            }
            // A cut body would lose the series after the cut without saying so: refuse it whole.
            if response.truncated { return .failure(ScrapeError(reason: "exposition larger than the body limit; scrape ignored")) }
            let parsed = PrometheusTextParser.parseLenient(response.body)
            if parsed.samples.isEmpty && !parsed.errors.isEmpty {
                return .failure(ScrapeError(reason: "malformed exposition: \(parsed.errors[0])"))
            }
            return .success(parsed.samples)
        } catch {
            return .failure(error)
        }
    }
}

/// A scrape that got an answer that was not usable.
struct ScrapeError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
