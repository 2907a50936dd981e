import ArgumentParser
import Foundation
import VitalsEngine
import VitalsHarness

/// Parse throughput on a large exposition, next to Go's `expfmt.TextParser` on the same file in
/// the same run (best of N each).
struct ParseBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Prometheus text parse throughput, next to Go's expfmt on the same file.",
        discussion: """
            Make the file with `python3 ../shared/bench/make_exposition.py /tmp/exposition.prom` and the baseline with
            `GOPATH=/usr/share/gocode GO111MODULE=off go build -o /tmp/expfmt-bench Benchmarks/go/expfmt_bench.go`.
            """
    )

    @Option(help: "The exposition to parse.")
    var file = "/tmp/exposition.prom"

    @Option(help: "The Go baseline binary (Benchmarks/go/expfmt_bench.go, built).")
    var go = "/tmp/expfmt-bench"

    @Option(help: "Runs of each; the best counts.")
    var runs = 5

    func run() async throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let megabytes = Double(data.count) / 1e6
        var table = SeriesTable()
        var coldBest = Double.infinity, warmBest = Double.infinity
        var samples = 0, series = 0
        for _ in 0..<runs {
            // A first scrape: every series is new and checked.
            var fresh = SeriesTable()
            let cold = measure { data.withUnsafeBytes { bytes in ExpositionParser().parse(bytes, into: &fresh) { _, _, _ in } }.samples }
            coldBest = min(coldBest, cold.seconds)
            samples = cold.result
            series = fresh.count
            // A later scrape of the same target: every series is found by its hash.
            if table.count == 0 { data.withUnsafeBytes { bytes in _ = ExpositionParser().parse(bytes, into: &table) { _, _, _ in } } }
            var sum = 0.0
            let warm = measure { data.withUnsafeBytes { bytes in ExpositionParser().parse(bytes, into: &table) { _, value, _ in sum += value } }.samples }
            warmBest = min(warmBest, warm.seconds)
            if sum.isNaN { print("", terminator: "") }
        }
        // What a Vitals scrape does: read only the vital signs' names, skip the rest unread.
        let vital: Set = ["node_cpu_seconds_total", "node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes", "node_load1",
                          "node_filesystem_size_bytes", "node_filesystem_avail_bytes", "node_network_receive_bytes_total",
                          "node_network_transmit_bytes_total", "node_filefd_allocated"]
        var onlyBest = Double.infinity
        var vitalTable = SeriesTable()
        for _ in 0..<runs {
            let only = measure { data.withUnsafeBytes { bytes in ExpositionParser(only: vital).parse(bytes, into: &vitalTable) { _, _, _ in } }.samples }
            onlyBest = min(onlyBest, only.seconds)
        }
        var goLine = "Go baseline not run (no \(go); see --help)"
        var goRate = 0.0
        if FileManager.default.isExecutableFile(atPath: go) {
            let result = try Run.process(go, [file, String(runs)], timeout: 600)
            let fields = result.stdout.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if fields.count == 3, fields[2] > 0 {
                goRate = fields[0] / 1e6 / fields[2]
                goLine = String(format: "%.1f MB/s, %.0f samples/s", goRate, fields[1] / fields[2])
            }
        }
        func rate(_ seconds: Double) -> String { String(format: "%.1f MB/s, %.0f samples/s", megabytes / seconds, Double(samples) / seconds) }
        func ratio(_ seconds: Double) -> String { goRate > 0 ? String(format: "%.2f×", megabytes / seconds / goRate) : "–" }
        print("parse: \(file), \(String(format: "%.1f", megabytes)) MB, \(samples) samples, \(series) series, best of \(runs)")
        print("")
        print("| parser | throughput | vs Go expfmt |")
        print("|---|---|---|")
        print("| Go expfmt.TextParser (baseline) | \(goLine) | 1.00× |")
        print("| ExpositionParser, first scrape (every series new: checked and interned) | \(rate(coldBest)) | \(ratio(coldBest)) |")
        print("| ExpositionParser, later scrape (series found by hash) | \(rate(warmBest)) | \(ratio(warmBest)) |")
        print("| ExpositionParser, a Vitals scrape (only the vital signs' 9 names read, the rest skipped) | \(rate(onlyBest)) | \(ratio(onlyBest)) |")
    }

    private func measure<T>(_ body: () -> T) -> (result: T, seconds: Double) {
        let start = ContinuousClock.now
        let result = body()
        let elapsed = ContinuousClock.now - start
        return (result, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
