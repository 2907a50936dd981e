import Foundation
import Testing
import VitalsCore
import VitalsEngine

/// The byte-bounded log store: order, filters, search, eviction and the per-minute rates.
@Suite struct LogStoreTests {
    let start = Date(timeIntervalSince1970: 1_796_032_800)

    private func fill(_ store: LogStore, _ lines: [(node: String, service: String, level: LogLevel, text: String)], at offset: Double = 0) {
        store.append(lines.map { LogStore.Line(LogEntry(level: $0.level, service: $0.service, message: $0.text), node: $0.node) }, received: start.addingTimeInterval(offset))
    }

    @Test func linesComeBackInOrderAndFiltered() {
        let store = LogStore()
        fill(store, [("orders-1", "orders", .info, "GET /a 200"), ("web-1", "web", .error, "upstream timeout")], at: 0)
        fill(store, [("orders-1", "orders", .warning, "slow query 900ms"), ("orders-2", "orders", .error, "DB Timeout")], at: 1)
        #expect(store.lines(LogQuery(), before: nil, limit: 10).map(\.message) == ["GET /a 200", "upstream timeout", "slow query 900ms", "DB Timeout"])
        #expect(store.lines(LogQuery(), before: nil, limit: 2).map(\.sequence) == [2, 3])
        #expect(store.lines(LogQuery(), before: 2, limit: 1).map(\.sequence) == [1])
        #expect(store.lines(LogQuery(), after: 1, limit: 1).map(\.sequence) == [2])
        #expect(store.lines(LogQuery(nodes: ["orders-1"]), before: nil, limit: 10).map(\.message) == ["GET /a 200", "slow query 900ms"])
        #expect(store.lines(LogQuery(services: ["orders"], minimumLevel: .warning), before: nil, limit: 10).map(\.node) == ["orders-1", "orders-2"])
        #expect(store.count(LogQuery(minimumLevel: .error)) == 2)
        #expect(store.count(LogQuery(since: start.addingTimeInterval(0.5))) == 2)
        // Smart case: lowercase finds any case, a capital asks for that case.
        #expect(store.count(LogQuery(pattern: .substring("timeout"))) == 2)
        #expect(store.count(LogQuery(pattern: .substring("Timeout"))) == 1)
        #expect(store.count(LogQuery(pattern: .regex(#"\d+ms"#))) == 1)
        #expect(store.count(LogQuery(pattern: .regex("(upstream|db) timeout"))) == 2)
        #expect(store.count(LogQuery(nodes: ["web-1"], pattern: .substring("timeout"))) == 1)
        #expect(store.count(LogQuery(pattern: .regex("(unclosed"))) == 0)
        #expect(throws: LogMatcher.Problem.self) { try LogMatcher(.regex("(unclosed")) }
        #expect(store.names.nodes == ["orders-1", "web-1", "orders-2"])
    }

    /// A search looks at every field shown, not the message alone: `redis` finds every line of
    /// `redis-1` and of the `redis` service, whatever they say, in order with message matches.
    @Test func searchMatchesNodeAndServiceNamesToo() {
        let store = LogStore()
        fill(store, [("redis-1", "cache", .info, "ready to accept connections"), ("web-1", "web", .info, "GET / 200")], at: 0)
        fill(store, [("web-1", "web", .warning, "redis pool exhausted"), ("cart-1", "redis", .info, "AOF rewrite")], at: 1)
        let found = store.lines(LogQuery(pattern: .substring("redis")), before: nil, limit: 10).map(\.message)
        #expect(found == ["ready to accept connections", "redis pool exhausted", "AOF rewrite"])
        #expect(store.count(LogQuery(pattern: .regex("^web-[0-9]$"))) == 2, "a whole node name")
        #expect(store.count(LogQuery(minimumLevel: .warning, pattern: .substring("redis"))) == 1, "the other filters still apply")
        #expect(store.lines(LogQuery(pattern: .substring("redis")), after: 0, limit: 1).map(\.sequence) == [2], "n finds the next one")
    }

    @Test func searchAgreesWithAPlainScanOnManyLines() throws {
        let store = LogStore()
        var generator = SystemRandomNumberGenerator()
        var expected = (substring: 0, ignoringCase: 0, regex: 0, errorsOnNode3: 0)
        let words = ["alpha", "Beta", "gamma", "TIMEOUT", "timeout", "delta", "x"]
        var batch: [LogStore.Line] = []
        for index in 0..<30_000 {
            let text = (0..<6).map { _ in words.randomElement(using: &generator)! }.joined(separator: " ") + " \(index % 1000)ms"
            let level: LogLevel = index % 7 == 0 ? .error : .info
            let node = "node-\(index % 5)"
            if text.contains("timeout") { expected.substring += 1 }
            if text.lowercased().contains("timeout") { expected.ignoringCase += 1 }
            if text.contains("gamma delta") && text.hasSuffix("99ms") { expected.regex += 1 }
            if level == .error && node == "node-3" && text.lowercased().contains("beta") { expected.errorsOnNode3 += 1 }
            batch.append(LogStore.Line(LogEntry(level: level, message: text), node: node))
        }
        store.append(batch, received: start)
        #expect(store.stats.lines == 30_000)
        #expect(store.count(LogQuery(pattern: .substring("timeout"))) == expected.ignoringCase)
        #expect(store.count(LogQuery(pattern: .substring("TIMEOUT"))) == batch.filter { $0.entry.message.contains("TIMEOUT") }.count)
        #expect(store.count(LogQuery(pattern: .regex("gamma delta.* [0-9]*99ms$"))) == expected.regex)
        #expect(store.count(LogQuery(nodes: ["node-3"], minimumLevel: .error, pattern: .substring("beta"))) == expected.errorsOnNode3)
        // Paging backwards through matches meets every one exactly once.
        var seen = 0
        var before: Int?
        while true {
            let page = store.lines(LogQuery(pattern: .substring("timeout")), before: before, limit: 100)
            guard let first = page.first else { break }
            #expect(page.allSatisfy { $0.message.lowercased().contains("timeout") })
            seen += page.count
            before = first.sequence
        }
        #expect(seen == expected.ignoringCase)
    }

    @Test func theOldestLinesGoFirstWhenFullAndDropsAreCounted() {
        let store = LogStore(byteLimit: 1024 * 1024)
        let line = String(repeating: "y", count: 200)
        for second in 0..<100 {
            fill(store, (0..<100).map { _ in ("n", "s", .info, "\(second) " + line) }, at: Double(second))
        }
        let stats = store.stats
        #expect(stats.bytes <= 1024 * 1024)
        #expect(stats.lines + stats.dropped == 10_000)
        #expect(stats.dropped > 0)
        let oldest = store.lines(LogQuery(), after: -1, limit: 1)[0]
        #expect(oldest.sequence == stats.dropped)
        #expect(store.lines(LogQuery(), before: nil, limit: 1)[0].message.hasPrefix("99 "))
    }

    @Test func textIsMadeVisibleAndMarked() {
        let store = LogStore()
        var entry = LogEntry(message: "\u{1B}]2;owned\u{07}\u{1B}[2J bad", parseError: "no <priority> at the start", isTruncated: true)
        entry.fields = [.init("k", "v w")]
        store.append([LogStore.Line(entry, node: "10.0.0.9", unclaimed: true)], received: start)
        let record = store.lines(LogQuery(), before: nil, limit: 1)[0]
        #expect(record.message == #"(unparsed: no <priority> at the start) ␛]2;owned␇␛[2J bad k="v w" …[truncated]"#)
        #expect(record.flags == [.unparsed, .truncated, .unclaimed])
        #expect(store.stats.unclaimed == 1)
        #expect(store.stats.unparsed == 1)
    }

    @Test func histogramAndRatesCountByLevel() {
        let store = LogStore()
        fill(store, [("a", "orders", .error, "e1"), ("a", "orders", .info, "i1")], at: 0)
        fill(store, [("a", "orders", .error, "e2"), ("b", "web", .warning, "w1")], at: 10)
        fill(store, [("a", "orders", .critical, "c1")], at: 75)
        let buckets = store.histogram(LogQuery(), from: start, bucket: .seconds(10), count: 3)
        #expect(buckets.map(\.lines) == [2, 2, 0])
        #expect(buckets.map(\.errors) == [1, 1, 0])
        #expect(buckets.map(\.warnings) == [0, 1, 0])
        let rates = store.rates(at: start.addingTimeInterval(30))
        #expect(rates[.init(node: "a", service: "orders")] == LogStore.Rates(lines: 3, warnings: 0, errors: 2))
        #expect(rates[.init(node: "b", service: "web")] == LogStore.Rates(lines: 1, warnings: 1, errors: 0))
        // A minute later only the newest error counts.
        #expect(store.rates(at: start.addingTimeInterval(80))[.init(node: "a", service: "orders")] == LogStore.Rates(lines: 1, warnings: 0, errors: 1))
    }
}
