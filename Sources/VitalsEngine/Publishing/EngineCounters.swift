import Foundation

/// What the engine has done since the process started, for `GET /metrics`: probes by type with
/// a histogram of their durations (Prometheus' default buckets), and scrapes with their failures.
/// A pure value; the engine keeps one under a lock and a reload carries it over.
public struct EngineCounters: Sendable, Equatable {
    /// Upper bounds of the probe-duration buckets, in seconds (the last, +Inf, is implied).
    public static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public struct ProbeCounts: Sendable, Equatable {
        public var count: UInt64 = 0
        /// Probes that measured a duration (a ttl check has none).
        public var timed: UInt64 = 0
        public var sumSeconds: Double = 0
        /// Cumulative: `buckets[i]` counts timed probes that took at most `bucketBounds[i]`.
        public var buckets = [UInt64](repeating: 0, count: EngineCounters.bucketBounds.count)
    }

    /// By check type (`http`, `tcp`, …).
    public private(set) var probes: [String: ProbeCounts] = [:]
    public private(set) var scrapes: UInt64 = 0
    public private(set) var scrapeErrors: UInt64 = 0

    public init() {}

    public mutating func recordProbe(type: String, latency: Duration?) {
        var counts = probes[type] ?? ProbeCounts()
        counts.count += 1
        if let latency {
            let seconds = latency.seconds
            counts.timed += 1
            counts.sumSeconds += seconds
            for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound { counts.buckets[index] += 1 }
        }
        probes[type] = counts
    }

    public mutating func recordScrape(failed: Bool) {
        scrapes += 1
        if failed { scrapeErrors += 1 }
    }
}
