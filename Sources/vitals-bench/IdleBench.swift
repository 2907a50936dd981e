import ArgumentParser
import Foundation
import VitalsCore
import VitalsHarness

/// Measures start-up time, idle CPU and memory of the `vitals` dashboard against htop, both run
/// in the same tmux, on the same machine, in the same run.
struct IdleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle",
        abstract: "Start-up time, idle CPU and memory of the dashboard at 120×40, next to htop -d 10."
    )

    @OptionGroup var binary: VitalsBinaryOption

    @Option(help: "Seconds of idle CPU to measure for each program.")
    var seconds: Double = 60

    @Option(help: "Start-up runs per program (the median is reported).")
    var runs: Int = 5

    @Option(help: "Another vitals binary (an earlier build) whose dashboard + engine is measured the same way in the same run.")
    var before: String?

    func run() throws {
        let vitals = try binary.path()
        guard let htop = ExternalTool.path(of: "htop") else { throw ValidationError("htop is not installed (apt-get install htop): it is the baseline") }
        let root = FileManager.default.currentDirectoryPath
        print("vitals-bench: \(vitals) vs \(htop), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Int(seconds))s idle windows, \(runs) start-up runs")
        print("")

        // Start-up: command sent → first frame, and (vitals) → first frame with live results.
        let htopStart = try measureStartup(command: "exec \(htop) -d 10", ready: { $0.contains("Load average") })
        let vitalsFirst = try measureStartup(command: "cd \(root) && exec \(vitals)", ready: { $0.contains("SERVICE") })
        let vitalsLive = try measureStartup(command: "cd \(root) && exec \(vitals)", ready: Self.live)

        // Idle CPU and memory, each program alone in a terminal.
        let htopIdle = try measureIdle(command: "exec \(htop) -d 10", ready: { $0.contains("Load average") })
        let demoIdle = try measureIdle(command: "cd \(root) && exec \(vitals)", ready: Self.live)
        // The demo split in two: the simulated cluster in one process, the dashboard and engine in another.
        let simulator = try TmuxSession(width: 120, height: 10)
        defer { simulator.close() }
        try simulator.run("cd \(root) && exec \(vitals) simulate")
        try simulator.waitFor("web-3: 127.0.1.12")
        let simulatorPID = try simulator.shellPID()
        let simulatorBefore = try ProcStat(pid: simulatorPID)
        let started = Date()
        let dashboardIdle = try measureIdle(command: "cd \(root) && exec \(vitals) --no-sim", ready: Self.live)
        // The simulator is measured over the same span, while the dashboard probes it.
        let simulatorIdle = (cpu: (try ProcStat(pid: simulatorPID).cpuSeconds - simulatorBefore.cpuSeconds) / Date().timeIntervalSince(started), rss: 0)
        // The engine with no screen (`vitals serve`, the same probes and scrapes): what the
        // dashboard adds is the difference.
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-idle-\(getpid()).sqlite").path
        defer { for suffix in ["", "-wal", "-shm", ".sock"] { try? FileManager.default.removeItem(atPath: state + suffix) } }
        let engineIdle = try measureIdle(
            command: "cd \(root) && exec \(vitals) serve --no-sim --listen 127.0.0.1:17931 --state \(state)", ready: { $0.contains("listening") }
        )
        let beforeIdle = try before.map { try measureIdle(command: "cd \(root) && exec \($0) --no-sim", ready: Self.live) }

        print("| measure | vitals | htop -d 10 | ratio (vitals / htop) |")
        print("|---|---|---|---|")
        print("| start to first frame, median of \(runs) | \(Report.ms(vitalsFirst)) | \(Report.ms(htopStart)) | \(Report.ratio(vitalsFirst, htopStart)) |")
        print("| start to first frame with every check answered | \(Report.ms(vitalsLive)) | – | – |")
        print("| idle CPU over \(Int(seconds)) s: whole demo (dashboard + engine + 21 simulated nodes) | \(Report.pct(demoIdle.cpu)) | \(Report.pct(htopIdle.cpu)) | \(Report.ratio(demoIdle.cpu, htopIdle.cpu)) |")
        let demo = try? ClusterConfigLoader.load(path: "sample-clusters/ecommerce.yaml")
        let checks = demo.map { $0.nodes.reduce(0) { $0 + $1.checks.count + $1.services.reduce(0) { $0 + $1.checks.count } } } ?? 0
        let scrapes = demo?.nodes.filter { $0.metricsURL != nil }.count ?? 0
        print("| idle CPU: dashboard + engine only (`--no-sim`, \(checks) checks, \(scrapes) scrapes) | \(Report.pct(dashboardIdle.cpu)) | \(Report.pct(htopIdle.cpu)) | \(Report.ratio(dashboardIdle.cpu, htopIdle.cpu)) |")
        print("| idle CPU: the engine alone (`vitals serve --no-sim`, no screen) | \(Report.pct(engineIdle.cpu)) | \(Report.pct(htopIdle.cpu)) | \(Report.ratio(engineIdle.cpu, htopIdle.cpu)) |")
        print("| idle CPU: what the screen adds (dashboard + engine − engine alone) | \(Report.pct(max(0, dashboardIdle.cpu - engineIdle.cpu))) | \(Report.pct(htopIdle.cpu)) | \(Report.ratio(max(0, dashboardIdle.cpu - engineIdle.cpu), htopIdle.cpu)) |")
        if let beforeIdle, let before {
            print("| idle CPU: dashboard + engine of `\(before)` (`--no-sim`) | \(Report.pct(beforeIdle.cpu)) | \(Report.pct(htopIdle.cpu)) | \(Report.ratio(beforeIdle.cpu, htopIdle.cpu)) |")
        }
        print("| idle CPU: the simulated cluster alone (`vitals simulate`, answering those probes) | \(Report.pct(simulatorIdle.cpu)) | – | – |")
        print("| resident memory after the idle window: whole demo | \(Report.mb(demoIdle.rss)) | \(Report.mb(htopIdle.rss)) | \(Report.ratio(Double(demoIdle.rss), Double(htopIdle.rss))) |")
        print("| resident memory: dashboard + engine only | \(Report.mb(dashboardIdle.rss)) | \(Report.mb(htopIdle.rss)) | \(Report.ratio(Double(dashboardIdle.rss), Double(htopIdle.rss))) |")
        print("| resident memory: the engine alone | \(Report.mb(engineIdle.rss)) | \(Report.mb(htopIdle.rss)) | \(Report.ratio(Double(engineIdle.rss), Double(htopIdle.rss))) |")
    }

    /// Median seconds from sending `command` to a screen that satisfies `ready`.
    /// The demo is live: rows down to the last node show results (the count of services grows
    /// as instances register, so no fixed count is waited for).
    static func live(_ screen: String) -> Bool { screen.contains("● passing") && screen.contains("etcd-3") }

    func measureStartup(command: String, ready: (String) -> Bool) throws -> Double {
        var samples: [Double] = []
        for _ in 0..<runs {
            let session = try TmuxSession(width: 120, height: 40)
            defer { session.close() }
            let start = Date()
            try session.run(command)
            try session.waitFor("first frame", timeout: 30, pollMicroseconds: 2_000, ready)
            samples.append(Date().timeIntervalSince(start))
        }
        return samples.sorted()[samples.count / 2]
    }

    /// CPU share and resident memory of `command` over the idle window, after a 5 s settle.
    func measureIdle(command: String, ready: (String) -> Bool) throws -> (cpu: Double, rss: Int) {
        let session = try TmuxSession(width: 120, height: 40)
        defer { session.close() }
        try session.run(command)
        try session.waitFor("ready", timeout: 30, ready)
        Thread.sleep(forTimeInterval: 5)
        let pid = try session.shellPID()
        let usage = try cpu(pid: pid, seconds: seconds)
        return usage
    }

    /// CPU time used by `pid` over `seconds`, as a share of one core, and its resident memory.
    func cpu(pid: Int32, seconds: Double) throws -> (cpu: Double, rss: Int) {
        let before = try ProcStat(pid: pid)
        let started = Date()
        Thread.sleep(forTimeInterval: seconds)
        let after = try ProcStat(pid: pid)
        let elapsed = Date().timeIntervalSince(started)
        return ((after.cpuSeconds - before.cpuSeconds) / elapsed, after.residentBytes)
    }
}
