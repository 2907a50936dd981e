import Foundation
import VitalsCore

/// Reads one node's `/metrics` over a kept-alive connection and parses it from bytes, asking for
/// OpenMetrics first and reading whichever format the answer's `Content-Type` names.
struct Scraper: Sendable {
    /// The largest exposition kept; a larger one is an error for that scrape.
    static let bodyLimit = 16 * 1024 * 1024

    /// The node_exporter (and application) names the vital signs come from.
    static let vitalNames: Set = [
        "node_cpu_seconds_total", "node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes", "http_requests_total",
        "node_load1", "node_load5", "node_load15", "node_filefd_allocated", "node_filesystem_size_bytes",
        "node_filesystem_avail_bytes", "node_network_receive_bytes_total", "node_network_transmit_bytes_total",
    ]

    let fetcher: HTTPFetcher

    /// What a good scrape gives: the node's numbers, the samples alert rules read, and the stats.
    struct Outcome: Sendable {
        var reading: NodeMetricsReading
        var scraped: [String: [AlertSample]]
        var stats: ScrapeStats
        /// The node's store: series, samples and bytes (nil when it keeps nothing).
        var store: (series: Int, samples: Int, bytes: Int)?
    }

    /// GETs the exposition of `target`.
    func fetch(_ target: HTTPTarget, timeout: Duration) async -> Result<HTTPResponse, any Error> {
        do {
            return .success(try await fetcher.get(target, timeout: timeout, maxBody: Self.bodyLimit, keepAlive: true, accept: ExpositionFormat.accept, raw: true))
        } catch {
            return .failure(error)
        }
    }

    /// Reads a fetched answer into `series` (interned there for the next scrape, and the series
    /// rules read kept in its store); an answer that is not whole (cut at the body limit, an
    /// OpenMetrics answer without `# EOF`, nothing readable) is an error, and the caller keeps the
    /// previous good data.
    ///
    /// An exposition over `limits` (Prometheus' `sample_limit`, `label_limit`) is refused whole
    /// and the series it had interned forgotten; series a scrape no longer has are forgotten
    /// once they outnumber the live ones, so a target minting new series cannot grow the table.
    func read(
        _ response: HTTPResponse, node: String, series: inout NodeSeries, ruleNames: Set<String>, at time: Date,
        limits: (samples: Int, labels: Int) = (.max, .max), ruleSeries: Int = .max
    ) -> Result<Outcome, any Error> {
        guard response.status == 200 else {
            return .failure(ScrapeError(reason: "HTTP \(response.status) \(response.reason)"))
        }
        // A cut body would lose the series after the cut without saying so: refuse it whole.
        if response.truncated { return .failure(ScrapeError(reason: "exposition larger than \(Self.bodyLimit / 1_048_576) MB; scrape ignored")) }
        var body = response.bytes
        if Gzip.isGzip(body) {
            do {
                body = try Gzip.inflate(body, limit: Self.bodyLimit)
            } catch {
                return .failure(ScrapeError(reason: "\(error); scrape ignored"))
            }
        }
        let format = ExpositionFormat(contentType: response.contentType)
        var reading = NodeMetricsReading(time: time)
        var scraped: [String: [AlertSample]] = [:]
        var table = series.table
        let known = table.count
        series.table = SeriesTable(capacity: 1)  // moved out while parsing, back below
        var pending: [(Int32, Double)] = []
        pending.reserveCapacity(2048)
        // Only the names Vitals reads are interned: a node_exporter's hundreds of other series
        // cost a hash each and no memory.
        let summary = body.withUnsafeBytes { bytes in
            ExpositionParser(format: format, only: Self.vitalNames.union(ruleNames), sampleLimit: limits.samples, labelLimit: limits.labels)
                .parse(bytes, into: &table) { id, value, _ in pending.append((id, value)) }
        }
        if let passed = summary.limitExceeded {
            table.truncate(to: known)
            series.table = table
            return .failure(ScrapeError(reason: "\(passed); scrape refused whole, as Prometheus does".sanitizedForTerminal))
        }
        series.table = table
        // Series rules read cost kilobytes each (labels, past, samples): as many as the store's
        // bytes leave room for. Counted only when there could be too many.
        if pending.count > ruleSeries, !ruleNames.isEmpty {
            var read = 0
            for (id, _) in pending where ruleNames.contains(series.table.name(id)) { read += 1 }
            if read > ruleSeries {
                series.table.truncate(to: known)
                return .failure(ScrapeError(
                    reason: "\(read) series read by alert rules, more than the \(ruleSeries) metrics.max_bytes leaves room for; scrape refused whole"
                ))
            }
        }
        if summary.samples == 0, summary.skipped == 0, let first = summary.failures.first {
            return .failure(ScrapeError(reason: "malformed exposition: \(first)"))
        }
        if format == .openMetrics, !summary.sawEOF {
            return .failure(ScrapeError(reason: "OpenMetrics answer without # EOF: cut short; scrape ignored"))
        }
        let storing = !ruleNames.isEmpty
        if storing { series.store.begin(time: Int64((time.timeIntervalSince1970 * 1000).rounded())) }
        // The same series twice in one scrape: the first value counts, the rest are reported.
        var seen = [Bool](repeating: false, count: series.table.count)
        var duplicates = 0
        var firstDuplicate: String?
        for (id, value) in pending {
            if seen[Int(id)] {
                duplicates += 1
                if firstDuplicate == nil { firstDuplicate = series.table.name(id) }
                continue
            }
            seen[Int(id)] = true
            let (role, labels) = series.describe(id, node: node, ruleNames: ruleNames)
            reading.add(role, value: value, name: role == .none ? "" : series.table.name(id))
            if let labels {
                scraped[series.table.name(id), default: []].append(AlertSample(labels: labels, value: value))
                series.store.add(id, value)
            }
        }
        if storing { series.store.end() }
        let live = seen.reduce(0) { $0 + ($1 ? 1 : 0) }
        var forgotten = 0
        if series.table.count > max(2 * live, 1_024) { forgotten = series.dropStale(seen: seen) }
        var firstBadLine = summary.failures.first.map { String(describing: $0).sanitizedForTerminal }
        if duplicates > 0, firstBadLine == nil { firstBadLine = "series \(firstDuplicate ?? "?") appears more than once (first value kept)".sanitizedForTerminal }
        var notes: [String] = []
        if forgotten > 0 { notes.append("\(forgotten) series gone from the target forgotten") }
        if series.trimmed { notes.append("oldest samples dropped to keep the store within metrics.max_bytes") }
        series.trimmed = false
        let stats = ScrapeStats(
            duration: response.latency, samples: summary.samples + summary.skipped - duplicates, series: series.table.count,
            badLines: summary.failures.count + duplicates, firstBadLine: firstBadLine, notes: notes
        )
        let store = storing ? (series.store.liveSeries, series.store.sampleCount, series.memoryBytes) : nil
        return .success(Outcome(reading: reading, scraped: scraped, stats: stats, store: store))
    }
}

/// A scrape that got an answer that was not usable.
struct ScrapeError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
