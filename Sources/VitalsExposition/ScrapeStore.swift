/// One target's scraped samples over time, compressed: the scrapes' times once per scrape (every
/// series of a scrape shares it), and each series' values as a Gorilla XOR stream, in chunks of
/// `chunkLength` scrapes. Chunks older than the retention are dropped whole; a series absent for a
/// whole chunk gets no stream in the next one (stale series cost nothing), and a series absent
/// from one scrape gets Prometheus' staleness marker there.
public struct ScrapeStore: Sendable {
    /// Prometheus' staleness marker: a NaN no exporter writes.
    public static let staleMarker = Double(bitPattern: 0x7FF0_0000_0000_0002)

    struct Chunk: Sendable {
        var times: [Int64] = []
        /// Streams by series id; nil for series not seen in this chunk.
        var streams: [ValueStream?] = []
    }

    public let chunkLength: Int
    public let chunksKept: Int
    private var chunks: [Chunk] = []
    private var seenThisScrape: [Bool] = []

    /// - Parameters:
    ///   - retention: how long samples are kept (default 1 h).
    ///   - interval: the scrape interval, which with `retention` sets how many scrapes are kept.
    public init(retention: Duration = .seconds(3600), interval: Duration, chunkLength: Int = 120) {
        self.chunkLength = max(2, chunkLength)
        let scrapes = max(1, Int((Double(retention.components.seconds) / max(0.001, Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)).rounded(.up)))
        chunksKept = max(1, (scrapes + self.chunkLength - 1) / self.chunkLength) + 1
    }

    /// Starts a scrape taken at `time` (milliseconds).
    public mutating func begin(time: Int64) {
        if chunks.isEmpty || chunks[chunks.count - 1].times.count >= chunkLength {
            chunks.append(Chunk())
            if chunks.count > chunksKept { chunks.removeFirst(chunks.count - chunksKept) }
        }
        chunks[chunks.count - 1].times.append(time)
        for index in seenThisScrape.indices { seenThisScrape[index] = false }
    }

    /// Adds series `id`'s value to the scrape begun last.
    public mutating func add(_ id: Int32, _ value: Double) {
        let index = Int(id)
        let last = chunks.count - 1
        guard last >= 0 else { return }
        if index >= chunks[last].streams.count { chunks[last].streams.append(contentsOf: repeatElement(nil, count: index - chunks[last].streams.count + 1)) }
        if index >= seenThisScrape.count { seenThisScrape.append(contentsOf: repeatElement(false, count: index - seenThisScrape.count + 1)) }
        guard !seenThisScrape[index] else { return }  // a duplicate series in one scrape: the first value counts
        seenThisScrape[index] = true
        let position = chunks[last].times.count - 1
        if chunks[last].streams[index] == nil {
            var stream = ValueStream()
            for _ in 0..<position { stream.append(Self.staleMarker) }
            chunks[last].streams[index] = stream
        }
        chunks[last].streams[index]?.append(value)
    }

    /// Ends the scrape begun last: series seen before in this chunk but not now are marked stale.
    public mutating func end() {
        let last = chunks.count - 1
        guard last >= 0 else { return }
        let length = chunks[last].times.count
        for index in chunks[last].streams.indices {
            guard let count = chunks[last].streams[index]?.count, count < length else { continue }
            for _ in count..<length { chunks[last].streams[index]?.append(Self.staleMarker) }
        }
    }

    /// Series `id`'s samples, oldest first, stale markers left out.
    public func samples(of id: Int32) -> [(time: Int64, value: Double)] {
        var result: [(time: Int64, value: Double)] = []
        for chunk in chunks {
            guard Int(id) < chunk.streams.count, let stream = chunk.streams[Int(id)] else { continue }
            for (time, value) in zip(chunk.times, stream.values) where value.bitPattern != Self.staleMarker.bitPattern {
                result.append((time, value))
            }
        }
        return result
    }

    /// Whether series `id` has a value in the scrape ended last.
    public func seenLast(_ id: Int32) -> Bool { Int(id) < seenThisScrape.count && seenThisScrape[Int(id)] }

    /// Renumbers the series as `mapping[old]` says (-1: forgotten, its samples dropped).
    public mutating func renumber(_ mapping: [Int32]) {
        let count = (mapping.max() ?? -1) + 1
        func moved<T>(_ values: [T], empty: T) -> [T] {
            var result = [T](repeating: empty, count: Int(count))
            for (old, value) in values.enumerated() where old < mapping.count && mapping[old] >= 0 { result[Int(mapping[old])] = value }
            return result
        }
        for index in chunks.indices { chunks[index].streams = moved(chunks[index].streams, empty: nil) }
        seenThisScrape = moved(seenThisScrape, empty: false)
    }

    /// Drops the oldest chunk of scrapes (the store over its bytes); false when one chunk is
    /// all there is.
    public mutating func dropOldest() -> Bool {
        guard chunks.count > 1 else { return false }
        chunks.removeFirst()
        return true
    }

    /// Samples held (stale markers included: they take space too).
    public var sampleCount: Int { chunks.reduce(0) { $0 + $1.streams.reduce(0) { $0 + ($1?.count ?? 0) } } }

    /// Bytes held: value streams, times, and the per-series bookkeeping.
    public var memoryBytes: Int {
        chunks.reduce(0) { total, chunk in
            total + chunk.times.capacity * 8 + chunk.streams.capacity * MemoryLayout<ValueStream?>.stride
                + chunk.streams.reduce(0) { $0 + ($1?.byteCount ?? 0) }
        }
    }

    /// Series with a stream in the newest chunk.
    public var liveSeries: Int { chunks.last?.streams.reduce(0) { $0 + ($1 == nil ? 0 : 1) } ?? 0 }
}
