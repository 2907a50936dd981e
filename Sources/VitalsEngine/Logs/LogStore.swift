import Foundation
import Synchronization
import VitalsCore

/// Every log line the cluster sent, bounded by bytes: the oldest lines go first once the limit is
/// reached, and how many went is counted.
///
/// Lines are kept in chunks of about 256 KiB: the messages' bytes side by side (each followed by a
/// newline, which no stored message contains, so a match never spans two lines) and, beside
/// them, columns of arrival time, own time, node, service and level. A search scans a chunk's
/// bytes once for the pattern's literal and checks only the lines it lands in; chunks whose
/// times, levels or nodes cannot match are skipped whole. Eviction drops the oldest chunk.
public final class LogStore: LogSource, Sendable {
    /// What one line costs besides its text (the columns), counted against the limit.
    static let overheadPerLine = 32
    static let chunkBytes = 256 * 1024
    static let chunkLines = 4096

    /// The most bytes kept (text and columns); a reload may change it.
    public var byteLimit: Int { limit.load(ordering: .relaxed) }
    private let limit: Atomic<Int>
    private let storage: Mutex<Storage>
    private let problems = Mutex<[String: String]>([:])
    private let udpDropped = Atomic<Int>(0)

    /// How many syslog datagrams the kernel has dropped so far.
    public func setUDPDropped(_ count: Int) { udpDropped.store(count, ordering: .relaxed) }

    private let connections = Mutex((refused: 0, cut: 0))

    /// What the listeners' connection counters say: refused at the cap, cut for slowness.
    public func setConnections(refused: Int, cut: Int) { connections.withLock { $0 = (refused, cut) } }

    /// Says why the source `key` is not working, or (nil) that it works again.
    public func setProblem(_ key: String, _ problem: String?) {
        problems.withLock { $0[key] = problem }
    }

    public init(byteLimit: Int = 64 * 1024 * 1024) {
        limit = Atomic(max(Self.chunkBytes * 2, byteLimit))
        storage = Mutex(Storage())
    }

    /// Keeps at most `bytes` from now on (a smaller limit drops the oldest lines at once).
    public func setByteLimit(_ bytes: Int) {
        let bytes = max(Self.chunkBytes * 2, bytes)
        limit.store(bytes, ordering: .relaxed)
        storage.withLock { $0.evict(toFit: bytes) }
    }

    /// One line to store, attributed.
    public struct Line: Sendable {
        public var entry: LogEntry
        public var node: String
        public var unclaimed: Bool

        public init(_ entry: LogEntry, node: String, unclaimed: Bool = false) {
            self.entry = entry
            self.node = node
            self.unclaimed = unclaimed
        }
    }

    /// Stores lines that arrived at `received`.
    public func append(_ lines: [Line], received: Date) {
        guard !lines.isEmpty else { return }
        let millis = Int64((received.timeIntervalSince1970 * 1000).rounded())
        let limit = byteLimit
        // Text is made visible outside the lock: that is most of the work.
        let prepared = lines.map { line in
            (line, Array(LogText.visible(Self.text(of: line.entry)).utf8))
        }
        storage.withLock { storage in
            for (line, text) in prepared { storage.append(line, text: text, received: millis) }
            storage.evict(toFit: limit)
        }
    }

    static func text(of entry: LogEntry) -> String {
        var text = entry.fullText
        if let error = entry.parseError { text = "(unparsed: \(error)) " + text }
        if entry.isTruncated { text += " …[truncated]" }
        return text
    }

    public var stats: LogStats {
        let problems = self.problems.withLock { $0.sorted { $0.key < $1.key }.map(\.value) }
        let udpDropped = self.udpDropped.load(ordering: .relaxed)
        let connections = self.connections.withLock { $0 }
        return storage.withLock { storage in
            var stats = LogStats(
                lines: storage.lineCount, bytes: storage.bytes, byteLimit: byteLimit, dropped: storage.dropped,
                nextSequence: storage.nextSequence, newest: storage.newest.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                unclaimed: storage.unclaimed, unparsed: storage.unparsed, problems: problems
            )
            stats.udpDropped = udpDropped
            stats.connectionsRefused = connections.refused
            stats.connectionsCut = connections.cut
            return stats
        }
    }

    public var names: (nodes: [String], services: [String]) {
        storage.withLock { ($0.nodes.names, $0.services.names.filter { !$0.isEmpty }) }
    }

    public func lines(_ query: LogQuery, before: Int?, limit: Int) -> [LogRecord] {
        guard limit > 0, let plan = try? Plan(query) else { return [] }
        return storage.withLock { storage in
            let plan = storage.tuned(plan)
            let bound = before ?? storage.nextSequence
            var result: [LogRecord] = []
            for chunkIndex in storage.chunks.indices.reversed() {
                let chunk = storage.chunks[chunkIndex]
                guard chunk.firstSequence < bound, storage.mayMatch(chunk, plan) else { continue }
                let end = min(chunk.count, bound - chunk.firstSequence)
                let found = storage.matches(in: chunk, plan, range: 0..<end)
                for index in found.reversed() {
                    result.append(storage.record(chunk, index))
                    if result.count == limit { return result.reversed() }
                }
            }
            return result.reversed()
        }
    }

    public func lines(_ query: LogQuery, after: Int, limit: Int) -> [LogRecord] {
        guard limit > 0, let plan = try? Plan(query) else { return [] }
        return storage.withLock { storage in
            let plan = storage.tuned(plan)
            var result: [LogRecord] = []
            for chunk in storage.chunks where chunk.firstSequence + chunk.count > after + 1 {
                guard storage.mayMatch(chunk, plan) else { continue }
                let start = max(0, after + 1 - chunk.firstSequence)
                for index in storage.matches(in: chunk, plan, range: start..<chunk.count) {
                    result.append(storage.record(chunk, index))
                    if result.count == limit { return result }
                }
            }
            return result
        }
    }

    public func count(_ query: LogQuery) -> Int {
        guard let plan = try? Plan(query) else { return 0 }
        return storage.withLock { storage in
            let plan = storage.tuned(plan)
            return storage.chunks.reduce(0) { total, chunk in
                storage.mayMatch(chunk, plan) ? total + storage.matches(in: chunk, plan, range: 0..<chunk.count).count : total
            }
        }
    }

    public func histogram(_ query: LogQuery, from: Date, bucket: Duration, count: Int) -> [LogBucket] {
        let width = max(1, Int64(bucket.seconds * 1000))
        let start = Int64((from.timeIntervalSince1970 * 1000).rounded())
        var buckets = (0..<max(0, count)).map { LogBucket(start: Date(timeIntervalSince1970: Double(start + Int64($0) * width) / 1000)) }
        guard count > 0 else { return buckets }
        var windowed = query
        windowed.since = Date(timeIntervalSince1970: Double(start) / 1000)
        windowed.until = Date(timeIntervalSince1970: Double(start + Int64(count) * width - 1) / 1000)
        guard let plan = try? Plan(windowed) else { return buckets }
        storage.withLock { storage in
            let plan = storage.tuned(plan)
            for chunk in storage.chunks where storage.mayMatch(chunk, plan) {
                for index in storage.matches(in: chunk, plan, range: 0..<chunk.count) {
                    let slot = Int((chunk.received[index] - start) / width)
                    guard buckets.indices.contains(slot) else { continue }
                    buckets[slot].lines += 1
                    let level = LogLevel(rawValue: chunk.levels[index]) ?? .info
                    if level >= .error { buckets[slot].errors += 1 } else if level == .warning { buckets[slot].warnings += 1 }
                }
            }
        }
        return buckets
    }

    /// Lines per minute by (node, service) over the last minute before `now`: all lines, warnings,
    /// and errors or worse. For alert rules (`log_errors_per_min`…).
    public func rates(at now: Date) -> [RateKey: Rates] {
        let second = Int64(now.timeIntervalSince1970)
        return storage.withLock { storage in
            var result: [RateKey: Rates] = [:]
            for (key, counter) in storage.counters {
                let rates = counter.total(at: second)
                result[RateKey(node: storage.nodes.names[Int(key >> 16)], service: storage.services.names[Int(key & 0xFFFF)])] = rates
            }
            return result
        }
    }

    public struct RateKey: Hashable, Sendable {
        public var node: String
        public var service: String

        public init(node: String, service: String) {
            self.node = node
            self.service = service
        }
    }

    public struct Rates: Sendable, Equatable {
        public var lines = 0
        public var warnings = 0
        public var errors = 0

        public init(lines: Int = 0, warnings: Int = 0, errors: Int = 0) {
            self.lines = lines
            self.warnings = warnings
            self.errors = errors
        }
    }

    /// The newest `limit` lines of `node`, oldest first, for the snapshot's `recent_logs`.
    public func recent(node: String, limit: Int) -> [LogRecord] {
        lines(LogQuery(nodes: [node]), before: nil, limit: limit)
    }

    /// Nodes whose lines arrived since the last call (for the snapshot's recent lines).
    public func takeChangedNodes() -> Set<String> {
        storage.withLock { storage in
            defer { storage.changedNodes.removeAll(keepingCapacity: true) }
            return Set(storage.changedNodes.map { storage.nodes.names[Int($0)] })
        }
    }

    /// A query made ready for the columns: names turned into numbers, the pattern compiled.
    struct Plan {
        var query: LogQuery
        var matcher: LogMatcher?
        var since: Int64
        var until: Int64
        /// The node and service filters as lookups by number, and the nodes as a chunk bitmask:
        /// filled from the store's names once per query (`Storage.tuned`), not per chunk.
        var nodeAllowed: [Bool]?
        var serviceAllowed: [Bool]?
        var nodeBits: UInt64 = 0
        /// The nodes and services whose names the pattern matches (nil: none): their lines
        /// match whatever their message says, so a search for `redis` finds `redis-1`'s lines.
        var namedNodes: [Bool]?
        var namedServices: [Bool]?

        init(_ query: LogQuery) throws(LogMatcher.Problem) {
            self.query = query
            matcher = try query.pattern.map { pattern throws(LogMatcher.Problem) in try LogMatcher(pattern) }
            since = query.since.map { Int64(($0.timeIntervalSince1970 * 1000).rounded(.down)) } ?? .min
            until = query.until.map { Int64(($0.timeIntervalSince1970 * 1000).rounded(.up)) } ?? .max
        }
    }

}
