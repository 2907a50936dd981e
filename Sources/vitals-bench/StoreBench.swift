import ArgumentParser
import Foundation
import VitalsEngine

/// Bytes per sample and insert rate of the compressed store on an hour of node_exporter-like
/// data, next to the same samples stored plainly (8-byte time + 8-byte value) in the same run.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Bytes per sample and insert rate of the scrape store on an hour of node_exporter-like data."
    )

    @Option(help: "The exposition whose series and values start the hour (a real node_exporter scrape).")
    var file = "Tests/Fixtures/node_exporter_sample.prom"

    @Option(help: "Scrape interval in seconds.")
    var interval = 5

    @Option(help: "Minutes of data.")
    var minutes = 60

    func run() async throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        var table = SeriesTable()
        var first: [(Int32, Double)] = []
        let summary = data.withUnsafeBytes { ExpositionParser().parse($0, into: &table) { id, value, _ in first.append((id, value)) } }
        // Counters grow at a plausible rate for their size; most gauges hold, some wander.
        var generator = SplitMixRandom(seed: 7)
        let series = first.map { id, value -> (id: Int32, value: Double, counter: Bool, integral: Bool, wanders: Bool) in
            let name = table.name(id)
            let family = ["_total", "_bucket", "_count", "_sum"].reduce(name) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
            let counter = summary.types[family] == .counter || summary.types[family] == .histogram || summary.types[family] == .summary || name.hasSuffix("_total")
            return (id, value, counter, value == value.rounded(), generator.unit() < 0.3)
        }
        let scrapes = minutes * 60 / interval
        var store = ScrapeStore(retention: .seconds(minutes * 60 + interval), interval: .seconds(interval))
        var values = series.map(\.value)
        var time: Int64 = 1_795_687_200_000
        var appended = 0
        var elapsed = Duration.zero
        for _ in 0..<scrapes {
            // Scrape times jitter by a few milliseconds, as real ones do.
            time += Int64(interval * 1000) + Int64(generator.unit() * 20) - 10
            for (index, entry) in series.enumerated() {
                guard values[index].isFinite else { continue }
                if entry.counter {
                    let step = max(0, abs(entry.value) / 86_400 * Double(interval) * (0.5 + generator.unit()))
                    values[index] += entry.integral ? step.rounded() : (step * 100).rounded() / 100
                } else if entry.wanders {
                    let step = values[index] * (generator.unit() - 0.5) * 0.01
                    values[index] += entry.integral ? step.rounded() : step
                }
            }
            let start = ContinuousClock.now
            store.begin(time: time)
            for (index, entry) in series.enumerated() { store.add(entry.id, values[index]) }
            store.end()
            elapsed += ContinuousClock.now - start
            appended += series.count
        }
        let bytes = store.memoryBytes
        let perSample = Double(bytes) / Double(appended)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let plain = 16.0
        let fleetSeries = 1_000 * 500
        let fleetSamples = Double(fleetSeries) * Double(3600 / interval)
        print("store: \(series.count) series from \(file), one scrape every \(interval) s for \(minutes) min (\(scrapes) scrapes, \(appended) samples)")
        print("")
        print("| measure | value |")
        print("|---|---|")
        print("| bytes per sample, compressed (values XOR-coded, times once per scrape) | \(String(format: "%.2f", perSample)) B |")
        print("| bytes per sample, plain 8-byte time + 8-byte value (baseline) | \(String(format: "%.2f", plain)) B (\(String(format: "%.1f", plain / perSample))× more) |")
        print("| insert rate | \(String(format: "%.1f", Double(appended) / seconds / 1e6)) M samples/s |")
        print("| 1,000 nodes × 500 series at \(interval) s, one hour kept | \(String(format: "%.0f", fleetSamples * perSample / 1_048_576)) MiB compressed, \(String(format: "%.0f", fleetSamples * plain / 1_048_576)) MiB plain |")
        print("| series table (names and labels, interned once) | \(table.memoryBytes / 1024) KiB for \(table.count) series |")
    }
}

/// A seeded generator, so every run stores the same hour.
struct SplitMixRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}
