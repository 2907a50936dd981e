import ArgumentParser
import Foundation
import VitalsCore
import VitalsEngine
import VitalsHarness
import VitalsSim

/// The engine watching a simulated fleet: scheduling lag, publish time, CPU and memory.
struct FleetBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "The engine on a simulated fleet (5,000 nodes × 10 checks at 10 s by default): lag, publish time, CPU, memory, frames."
    )

    @OptionGroup var binary: VitalsBinaryOption

    @Option(help: "Nodes in the fleet.")
    var nodes = 5_000

    @Option(help: "Checks per node.")
    var checks = 10

    @Option(help: "Check interval in seconds.")
    var interval = 10

    @Option(help: "Seconds to measure.")
    var seconds = 60

    @Flag(help: "Scrape every node's /metrics too.")
    var scrape = false

    func run() async throws {
        var generator = FleetGenerator(nodes: nodes, checksPerNode: checks, interval: .seconds(interval), timeout: .seconds(2))
        generator.scrape = scrape
        let result = try await Self.measure(vitals: try binary.path(), fleet: generator, seconds: seconds, title: "fleet")
        print(result.table)
        let frames = FrameBench.measure(snapshot: result.snapshot, frames: 2_000)
        print("")
        print(frames.table)
    }

    struct Result {
        var table: String
        var snapshot: ClusterSnapshot
        var stats: ProbeScheduler.Stats
    }

    /// Serves `fleet` from another process, runs an engine on it for `seconds`, and reports.
    /// - Parameters:
    ///   - extraYAML: added to the fleet's file (a `log_intake:` section, say).
    ///   - beside: started once the engine runs, stopped at the end (an attacker, say).
    static func measure(
        vitals: String, fleet generator: FleetGenerator, seconds: Int, title: String, lagGroup: (@Sendable (CheckID) -> Int)? = nil,
        extraYAML: String = "", beside: () throws -> [BackgroundProcess] = { [] }
    ) async throws -> Result {
        let fleet = try SimulatedFleet(vitals: vitals, yaml: generator.yaml + extraYAML)
        defer { fleet.stop() }
        let loadStart = ContinuousClock.now
        let config = try ClusterConfigLoader.load(path: fleet.file)
        let loadTime = ContinuousClock.now - loadStart
        var options = Engine.Options()
        options.lagGroup = lagGroup
        let engine = Engine(config: config, options: options)
        let selfBefore = ProcStat.current
        let simulatorBefore = try ProcStat(pid: fleet.process.pid)
        let started = ContinuousClock.now
        let running = Task { await engine.run() }
        let others = try beside()
        defer { for other in others { other.stop() } }
        try await Task.sleep(for: .seconds(seconds))
        let elapsed = (ContinuousClock.now - started).seconds
        let selfAfter = ProcStat.current
        let simulatorAfter = try ProcStat(pid: fleet.process.pid)
        let stats = engine.schedulerStats ?? ProbeScheduler.Stats()
        let publish = engine.publishStats
        let snapshot = engine.store.latest
        running.cancel()
        await running.value
        let checkCount = config.allChecks.count
        let results = snapshot.services.reduce(0) { $0 + $1.checks.filter(\.hasResult).count }
        let passing = snapshot.services.reduce(0) { $0 + $1.checks.filter { $0.status == .passing }.count }
        let expectedRate = Double(checkCount) / Double(generator.interval.seconds)
        var lines = [
            "vitals-bench \(title): \(config.nodes.count) nodes, \(checkCount) checks every \(generator.interval.goString) (\(Report.rate(expectedRate)) due), "
                + "scrapes \(generator.scrape ? "on" : "off"), \(seconds) s, in flight at most \(engine.maxInFlight)",
            "",
            "| measure | value |",
            "|---|---|",
            "| cluster file load (parse + validate) | \(Report.ms(loadTime.seconds)) |",
            "| jobs started per second | \(Report.rate(Double(stats.started) / elapsed)) |",
            "| scheduling lag p50 / p99 / max | \(Report.ms(nanoseconds: stats.lag.percentile(0.5))) / \(Report.ms(nanoseconds: stats.lag.percentile(0.99))) / \(Report.ms(nanoseconds: stats.lag.maxNanoseconds)) |",
            "| rounds skipped (still running) / waits for a free slot | \(stats.skipped) / \(stats.waitedForSlot) |",
            "| most probes in flight | \(stats.peakInFlight) |",
            "| snapshot publish p50 / p99 / max | \(Report.ms(nanoseconds: publish.percentile(0.5))) / \(Report.ms(nanoseconds: publish.percentile(0.99))) / \(Report.ms(nanoseconds: publish.maxNanoseconds)) (\(publish.count) publishes) |",
            "| engine CPU (this process) | \(Report.pct((selfAfter.cpuSeconds - selfBefore.cpuSeconds) / elapsed)) |",
            "| simulated fleet CPU (the other process) | \(Report.pct((simulatorAfter.cpuSeconds - simulatorBefore.cpuSeconds) / elapsed)) |",
            "| engine resident memory at the end | \(Report.mb(selfAfter.residentBytes)) |",
            "| checks with a result / passing at the end | \(results) / \(passing) of \(checkCount) |",
        ]
        if !extraYAML.isEmpty {
            let logs = snapshot.logStats ?? LogStats()
            lines.append("| log listeners: connections refused at the cap / cut for slowness | \(logs.connectionsRefused) / \(logs.connectionsCut) |")
        }
        if stats.lagByGroup.count > 1 {
            for (group, lag) in stats.lagByGroup.enumerated() {
                lines.append("| lag of group \(group) p50 / p99 / max (\(lag.count) starts) | \(Report.ms(nanoseconds: lag.percentile(0.5))) / \(Report.ms(nanoseconds: lag.percentile(0.99))) / \(Report.ms(nanoseconds: lag.maxNanoseconds)) |")
            }
        }
        return Result(table: lines.joined(separator: "\n"), snapshot: snapshot, stats: stats)
    }
}

/// 1,000 targets that accept and never answer among 1,000 healthy ones, next to the healthy
/// ones alone in the same run.
struct BlackHoleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "black-holes",
        abstract: "Lag of healthy checks with 1,000 black holes beside them, next to the healthy ones alone."
    )

    @OptionGroup var binary: VitalsBinaryOption

    @Option(help: "Healthy nodes, and as many black holes.")
    var nodes = 1_000

    @Option(help: "Seconds to measure each run.")
    var seconds = 30

    func run() async throws {
        let vitals = try binary.path()
        // Every node: 2 checks every 2 s with a 1 s timeout, so each black hole holds a slot for a
        // second per probe; group 1 is the black holes.
        let alone = FleetGenerator(nodes: nodes, checksPerNode: 2, interval: .seconds(2), timeout: .seconds(1))
        var mixed = alone
        mixed.nodes = 2 * nodes
        mixed.blackHoles = nodes
        let holes = nodes
        let baseline = try await FleetBench.measure(vitals: vitals, fleet: alone, seconds: seconds, title: "black holes: healthy alone (baseline)")
        print(baseline.table)
        print("")
        let result = try await FleetBench.measure(
            vitals: vitals, fleet: mixed, seconds: seconds, title: "black holes: healthy + \(nodes) black holes",
            lagGroup: { id in (Int(id.node.dropFirst()) ?? 0) <= holes ? 1 : 0 }
        )
        print(result.table)
        let healthy = result.stats.lagByGroup.first ?? LatencyHistogram()
        print("")
        print("| healthy checks' lag p99 | with \(nodes) black holes | healthy alone | ratio |")
        print("|---|---|---|---|")
        print("| | \(Report.ms(nanoseconds: healthy.percentile(0.99))) | \(Report.ms(nanoseconds: baseline.stats.lag.percentile(0.99))) | \(Report.ratio(Double(healthy.percentile(0.99)), Double(baseline.stats.lag.percentile(0.99)))) |")
    }
}
