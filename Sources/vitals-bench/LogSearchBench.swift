import ArgumentParser
import Foundation
import VitalsCore
import VitalsEngine

/// Search over a million stored log lines: p50/p99 of substring, regex and filter queries on
/// the store, next to GNU grep counting the same lines in a file (page cache warm) in the same run.
struct LogSearchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logsearch",
        abstract: "p50/p99 of substring and regex search over 1M stored log lines, vs grep -c on the same lines."
    )

    @Option(help: "Lines stored.")
    var lines = 1_000_000

    @Option(help: "Runs of each query.")
    var runs = 30

    @Option(help: "Where the same lines are written for grep.")
    var file = "/tmp/vitals-logsearch.txt"

    func run() async throws {
        let store = LogStore(byteLimit: 512 * 1024 * 1024)
        var generator = SplitMixRandom(seed: 11)
        let services = ["web", "api-gateway", "cart", "orders", "payments", "inventory", "postgres", "redis"]
        let paths = ["/", "/api/items", "/api/cart", "/api/orders", "/health", "/api/payments/authorize", "/api/users/me"]
        let causes = ["db timeout after 2000ms", "connection refused", "upstream 503", "deadline exceeded", "lock wait timeout"]
        var text = ""
        text.reserveCapacity(lines * 100)
        let start = Date(timeIntervalSince1970: 1_796_032_800)
        var batch: [LogStore.Line] = []
        for index in 0..<lines {
            let service = services[Int(generator.unit() * Double(services.count))]
            let node = "\(service)-\(1 + Int(generator.unit() * 3))"
            let roll = generator.unit()
            let level: LogLevel
            let message: String
            if roll < 0.01 {
                level = .error
                message = "request failed: \(causes[Int(generator.unit() * Double(causes.count))]) trace=\(String(UInt64(generator.unit() * 1e15), radix: 16))"
            } else if roll < 0.05 {
                level = .warning
                message = "slow request: \(300 + Int(generator.unit() * 2000))ms path=\(paths[Int(generator.unit() * Double(paths.count))])"
            } else {
                level = .info
                message = "GET \(paths[Int(generator.unit() * Double(paths.count))]) 200 \(1 + Int(generator.unit() * 40))ms user=u\(Int(generator.unit() * 100_000)) trace=\(String(UInt64(generator.unit() * 1e15), radix: 16))"
            }
            batch.append(LogStore.Line(LogEntry(level: level, service: service, message: message), node: node))
            text += "\(node) \(service) \(level.word) \(message)\n"
            if batch.count == 10_000 {
                store.append(batch, received: start.addingTimeInterval(Double(index) / 1000))
                batch.removeAll(keepingCapacity: true)
            }
        }
        store.append(batch, received: start.addingTimeInterval(Double(lines) / 1000))
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        let stats = store.stats
        print("stored \(stats.lines) lines, \(String(format: "%.1f", Double(stats.bytes) / 1_048_576)) MiB (\(stats.bytes / max(1, stats.lines)) B/line with columns)")
        print(pad("query", 44) + pad("matches", 9) + pad("p50 ms", 9) + pad("p99 ms", 9) + pad("grep p50", 10) + "ratio")

        let cases: [(String, LogQuery, [String]?)] = [
            ("substring \"timeout\" (any case)", LogQuery(pattern: .substring("timeout")), ["-c", "-F", "-i", "timeout"]),
            ("substring \"lock wait\" (rare)", LogQuery(pattern: .substring("lock wait")), ["-c", "-F", "-i", "lock wait"]),
            ("substring \"GET /api/cart\" (exact case, common)", LogQuery(pattern: .substring("GET /api/cart")), ["-c", "-F", "GET /api/cart"]),
            ("substring \"trace=abc\" (common prefix)", LogQuery(pattern: .substring("trace=abc")), ["-c", "-F", "-i", "trace=abc"]),
            ("regex /timeout after [0-9]+ms/", LogQuery(pattern: .regex("timeout after [0-9]+ms")), ["-c", "-E", "-i", "timeout after [0-9]+ms"]),
            ("regex /slow request: [0-9]{4}ms/", LogQuery(pattern: .regex("slow request: [0-9]{4}ms")), ["-c", "-E", "-i", "slow request: [0-9]{4}ms"]),
            ("regex /[0-9]{4}ms/ (no literal)", LogQuery(pattern: .regex("[0-9]{4}ms")), ["-c", "-E", "[0-9]{4}ms"]),
            ("filter: errors of orders-2", LogQuery(nodes: ["orders-2"], minimumLevel: .error), nil),
            ("filter + substring: orders, \"refused\"", LogQuery(services: ["orders"], pattern: .substring("refused")), nil),
            ("newest 50 lines matching \"timeout\"", LogQuery(pattern: .substring("timeout")), nil),
        ]
        for (index, (name, query, grepArguments)) in cases.enumerated() {
            var times: [Double] = []
            var matches = 0
            for _ in 0..<runs {
                let began = ContinuousClock.now
                if index == cases.count - 1 {
                    matches = store.lines(query, before: nil, limit: 50).count
                } else {
                    matches = store.count(query)
                }
                times.append((ContinuousClock.now - began).milliseconds)
            }
            var grepText = "-", ratio = "-"
            if let grepArguments {
                var grepTimes: [Double] = []
                for _ in 0..<max(5, runs / 3) {
                    let began = ContinuousClock.now
                    let status = spawnAndWait("/usr/bin/grep", grepArguments + [file])
                    grepTimes.append((ContinuousClock.now - began).milliseconds)
                    guard status == 0 else { throw ValidationError("grep \(grepArguments.joined(separator: " ")) exited with \(status)") }
                }
                let grep50 = percentile(grepTimes, 0.5)
                grepText = String(format: "%.1f", grep50)
                ratio = String(format: "%.2fx", grep50 / percentile(times, 0.5))
            }
            print(pad(name, 44) + pad("\(matches)", 9) + pad(String(format: "%.1f", percentile(times, 0.5)), 9)
                + pad(String(format: "%.1f", percentile(times, 0.99)), 9) + pad(grepText, 10) + ratio)
        }
        print("ratio = grep's p50 / the store's p50 (above 1: the store is faster). grep reads a \(String(format: "%.0f", Double(text.utf8.count) / 1_048_576)) MiB file from the page cache.")
    }

    func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }

    /// Runs a program with its output to a scratch file and returns its exit status.
    func spawnAndWait(_ path: String, _ arguments: [String]) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Not /dev/null: GNU grep then stops at the first match, as -q does.
        posix_spawn_file_actions_addopen(&actions, 1, "/tmp/vitals-logsearch.grep-out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return (status >> 8) & 0xFF
    }

    func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
