import ArgumentParser
import Foundation
import Synchronization
import VitalsCore
import VitalsEngine
import VitalsHarness
import VitalsServer
import VitalsUI

/// `vitals serve` and `vitals attach`: the attached dashboard's idle cost next to htop, the API
/// under wrk next to node_exporter's /metrics, and 100 event-stream clients with the time from
/// an ack to the last of them seeing it.
struct ServeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "vitals attach idle vs htop -d 10; wrk on /v1/snapshot and /metrics vs node_exporter; 100 streaming clients and ack latency."
    )

    @OptionGroup var binary: VitalsBinaryOption

    @Option(help: "Seconds of idle CPU to measure for each program.")
    var seconds: Double = 60

    @Option(help: "Seconds of wrk per URL.")
    var wrkSeconds = 10

    @Option(help: "Event-stream clients.")
    var clients = 100

    @Option(help: "Ack and un-ack rounds for the latency figures.")
    var rounds = 20

    @Option(help: "Which parts: idle, wrk, stream (comma-separated).")
    var parts = "idle,wrk,stream"

    func run() async throws {
        let vitals = try binary.path()
        let root = FileManager.default.currentDirectoryPath
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-bench-\(UUID().uuidString)").path
        let wanted = Set(parts.split(separator: ",").map(String.init))
        print("vitals-bench serve: \(vitals), \(ProcessInfo.processInfo.activeProcessorCount) cores")
        if wanted.contains("idle") { try idle(vitals: vitals, root: root, state: state) }
        if wanted.contains("wrk") { try wrk(vitals: vitals, root: root, state: state) }
        if wanted.contains("stream") { try await stream(vitals: vitals, root: root, state: state) }
        if wanted.contains("cost") { try await cost(vitals: vitals, root: root, state: state) }
    }

    /// What one generation costs an attached dashboard: decoding and applying its delta, and
    /// drawing the screen, over 20 s of the demo's event stream.
    func cost(vitals: String, root: String, state: String) async throws {
        let server = try startServer(vitals: vitals, root: root, state: state, arguments: [root + "/sample-clusters/ecommerce.yaml"])
        defer { server.stop() }
        let client = try APIClient(url: "http://127.0.0.1:7470", user: "bench")
        var events: [EventStreamClient.Event] = []
        // As `vitals attach` asks: one update a second, alerts and status changes at once.
        let stream = EventStreamClient.open(client.target("/v1/events?interval=1s"), headers: client.headers, tls: client.tlsPair)
        let end = ContinuousClock.now + .seconds(20)
        for try await event in stream {
            events.append(event)
            if ContinuousClock.now > end { break }
        }
        var snapshots: [ClusterSnapshot] = []
        let clock = ContinuousClock()
        var decodeTime = Duration.zero
        for _ in 0..<5 {
            snapshots = []
            decodeTime += clock.measure {
                var current: ClusterSnapshot?
                for event in events {
                    if event.name == "snapshot" { current = try? ClusterSnapshot.decode(json: Data(event.data)) }
                    if event.name == "delta", let base = current, let delta = try? SnapshotDelta.decode(json: Data(event.data)) {
                        current = delta.applied(to: base)
                    }
                    if let current { snapshots.append(current) }
                }
            }
        }
        var renderTime = Duration.zero
        var screen = Screen(width: 120, height: 40)
        for _ in 0..<5 {
            renderTime += clock.measure {
                for snapshot in snapshots {
                    screen = DashboardView.render(snapshot: snapshot, state: AppState(size: Size(width: 120, height: 40)), theme: .builtIn)
                }
            }
        }
        let n = Double(max(1, snapshots.count) * 5)
        let bytes = events.reduce(0) { $0 + $1.data.count }
        print("\(events.count) events, \(Report.kb(bytes)), in 20 s: decode + apply \(Report.ms(nanoseconds: Int64(decodeTime.seconds / 5 / 20 * 1e9))) and render \(Report.ms(nanoseconds: Int64(renderTime.seconds / 5 / 20 * 1e9))) per second of stream")
        if let largest = events.filter({ $0.name == "delta" }).max(by: { $0.data.count < $1.data.count }) {
            let data = Data(largest.data)
            let codable = clock.measure { for _ in 0..<50 { _ = try? SnapshotDelta.decode(json: data) } }
            let serialization = clock.measure { for _ in 0..<50 { _ = try? JSONSerialization.jsonObject(with: data) } }
            print("largest delta \(Report.kb(data.count)): JSONDecoder \(Report.ms(nanoseconds: Int64(codable.seconds / 50 * 1e9))), JSONSerialization \(Report.ms(nanoseconds: Int64(serialization.seconds / 50 * 1e9)))")
        }
        print("\(events.count) events in 20 s; per generation: decode + apply \(Report.ms(nanoseconds: Int64(decodeTime.seconds / n * 1e9))), render 120×40 \(Report.ms(nanoseconds: Int64(renderTime.seconds / n * 1e9))) (\(screen.width) columns)")
    }

    /// The e-commerce demo served in the background.
    func startServer(vitals: String, root: String, state: String, arguments: [String] = [], listen: String = "127.0.0.1:7470") throws -> BackgroundProcess {
        let server = try BackgroundProcess(vitals, ["serve"] + arguments + ["--listen", listen, "--state", state + "/\(UUID().uuidString).sqlite"])
        try server.waitForOutput("listening", timeout: 60)
        return server
    }

    func idle(vitals: String, root: String, state: String) throws {
        guard let htop = ExternalTool.path(of: "htop") else { throw ValidationError("htop is not installed (apt-get install htop): it is the baseline") }
        let server = try startServer(vitals: vitals, root: root, state: state, arguments: [root + "/sample-clusters/ecommerce.yaml"])
        defer { server.stop() }
        print("\nattached dashboard at 120×40 over \(Int(seconds)) s (engine and simulated demo in `vitals serve`, pid \(server.pid)), next to htop -d 10")
        let htopIdle = try measure(command: "exec \(htop) -d 10", ready: { $0.contains("Load average") })
        let serverBefore = try ProcStat(pid: server.pid)
        let started = Date()
        let attachIdle = try measure(command: "cd /tmp && exec \(vitals) attach http://127.0.0.1:7470", ready: { $0.contains("etcd-3") && $0.contains("3/3") })
        let serverCPU = (try ProcStat(pid: server.pid).cpuSeconds - serverBefore.cpuSeconds) / Date().timeIntervalSince(started)
        print("")
        print("| measure | vitals attach | htop -d 10 | ratio (vitals / htop) |")
        print("|---|---|---|---|")
        print("| idle CPU over \(Int(seconds)) s | \(Report.pct(attachIdle.cpu)) | \(Report.pct(htopIdle.cpu)) | \(Report.ratio(attachIdle.cpu, htopIdle.cpu)) |")
        print("| resident memory after the window | \(Report.mb(attachIdle.rss)) | \(Report.mb(htopIdle.rss)) | \(Report.ratio(Double(attachIdle.rss), Double(htopIdle.rss))) |")
        print("| `vitals serve` (engine + 21 simulated nodes) over the same span | \(Report.pct(serverCPU)) | – | – |")
    }

    /// CPU share and resident memory of `command` in a 120×40 terminal over `seconds`, after a 5 s settle.
    private func measure(command: String, ready: (String) -> Bool) throws -> (cpu: Double, rss: Int) {
        let session = try TmuxSession(width: 120, height: 40)
        defer { session.close() }
        try session.run(command)
        try session.waitFor("ready", timeout: 30, ready)
        Thread.sleep(forTimeInterval: 5)
        let pid = try session.shellPID()
        let before = try ProcStat(pid: pid)
        let started = Date()
        Thread.sleep(forTimeInterval: seconds)
        let after = try ProcStat(pid: pid)
        return ((after.cpuSeconds - before.cpuSeconds) / Date().timeIntervalSince(started), after.residentBytes)
    }

    func wrk(vitals: String, root: String, state: String) throws {
        guard let wrk = ExternalTool.path(of: "wrk") else { throw ValidationError("wrk is not installed (apt-get install wrk): it is the baseline") }
        guard let exporter = ExternalTool.path(of: "prometheus-node-exporter") else {
            throw ValidationError("prometheus-node-exporter is not installed: it is the baseline")
        }
        let server = try startServer(vitals: vitals, root: root, state: state, arguments: [root + "/sample-clusters/ecommerce.yaml"])
        defer { server.stop() }
        let nodeExporter = try BackgroundProcess(exporter, ["--web.listen-address=127.0.0.1:9471"])
        defer { nodeExporter.stop() }
        Thread.sleep(forTimeInterval: 3)
        print("\nwrk -t2 -c16 -d\(wrkSeconds)s --latency, kept-alive connections, against the e-commerce demo in `vitals serve` and node_exporter on the same loopback")
        print("")
        print("| URL | requests/s | p50 | p99 | body |")
        print("|---|---|---|---|---|")
        var rates: [String: Double] = [:]
        for (name, url) in [
            ("vitals /v1/snapshot", "http://127.0.0.1:7470/v1/snapshot"), ("vitals /metrics", "http://127.0.0.1:7470/metrics"),
            ("node_exporter /metrics", "http://127.0.0.1:9471/metrics"),
        ] {
            let size = (try? Run.process("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{size_download}", url]).stdout) ?? "?"
            let result = try Run.process(wrk, ["-t2", "-c16", "-d\(wrkSeconds)s", "--latency", url], timeout: Double(wrkSeconds) + 60)
            let lines = result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            func field(_ prefix: String) -> String { lines.first { $0.hasPrefix(prefix) }?.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) ?? "?" }
            let rate = Double(field("Requests/sec:")) ?? 0
            rates[name] = rate
            let errors = lines.first { $0.contains("Non-2xx") || $0.contains("Socket errors") }.map { " (\($0))" } ?? ""
            print("| \(name) | \(String(format: "%.0f", rate))\(errors) | \(field("50%")) | \(field("99%")) | \(Int(size).map { Report.kb($0) } ?? size) |")
        }
        if let exporter = rates["node_exporter /metrics"], exporter > 0 {
            print("")
            print("ratios to node_exporter's /metrics: /v1/snapshot \(Report.ratio(rates["vitals /v1/snapshot"] ?? 0, exporter)), /metrics \(Report.ratio(rates["vitals /metrics"] ?? 0, exporter))")
        }
    }

    /// 100 clients on the event stream of the alerting fixture; acks and un-acks of its firing
    /// alert, timed from the request to each client reading the `alert` event.
    func stream(vitals: String, root: String, state: String) async throws {
        let server = try startServer(vitals: vitals, root: root, state: state, arguments: [root + "/Tests/Fixtures/serve-cluster.yaml"], listen: "127.0.7.100:7470")
        defer { server.stop() }
        let client = try APIClient(url: "http://127.0.7.100:7470", user: "bench")
        var alertID: String?
        for _ in 0..<150 where alertID == nil {
            let body = try await client.send("GET", "/v1/alerts")
            let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
            alertID = (object?["alerts"] as? [[String: Any]])?.first { $0["state"] as? String == "firing" }?["id"] as? String
            if alertID == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        guard let alertID else { throw ValidationError("no alert fired in the fixture") }

        let readings = Readings()
        let before = try ProcStat(pid: server.pid)
        let readers = (0..<clients).map { _ in
            Task.detached {
                let stream = EventStreamClient.open(client.target("/v1/events"), headers: client.headers, tls: client.tlsPair)
                var first = true
                do {
                    for try await event in stream {
                        if first {
                            first = false
                            readings.connected.add(1, ordering: .relaxed)
                        }
                        guard event.name == "alert" else { continue }
                        let text = String(decoding: event.data, as: UTF8.self)
                        guard text.contains("\"change\":\"acknowledged\""), let range = text.range(of: "bench round ") else { continue }
                        let round = Int(text[range.upperBound...].prefix { $0.isNumber }) ?? -1
                        let now = ContinuousClock.now
                        readings.seen.withLock { $0[round, default: []].append(now) }
                    }
                } catch {}
            }
        }
        defer { for reader in readers { reader.cancel() } }
        for _ in 0..<300 where readings.connected.load(ordering: .relaxed) < clients { try await Task.sleep(for: .milliseconds(50)) }
        let idleStart = Date()
        try await Task.sleep(for: .seconds(20))
        let idleCPU = (try ProcStat(pid: server.pid).cpuSeconds - before.cpuSeconds) / Date().timeIntervalSince(idleStart)
        let rssWithClients = try ProcStat(pid: server.pid).residentBytes

        var perClient: [Double] = []
        var lastClient: [Double] = []
        var missed = 0
        for round in 0..<rounds {
            let sent = ContinuousClock.now
            _ = try await client.send("POST", "/v1/alerts/\(alertID)/ack", json: ["comment": "bench round \(round)"])
            let deadline = sent + .seconds(10)
            while ContinuousClock.now < deadline, readings.seen.withLock({ $0[round]?.count ?? 0 }) < clients { try await Task.sleep(for: .milliseconds(5)) }
            let times = readings.seen.withLock { $0[round] ?? [] }
            missed += clients - times.count
            let delays = times.map { ($0 - sent).seconds }
            perClient += delays
            if let last = delays.max() { lastClient.append(last) }
            _ = try await client.send("POST", "/v1/alerts/\(alertID)/unack")
            try await Task.sleep(for: .milliseconds(300))
        }
        perClient.sort()
        lastClient.sort()
        func p(_ values: [Double], _ q: Double) -> String {
            guard !values.isEmpty else { return "–" }
            return Report.ms(values[min(values.count - 1, Int((Double(values.count) * q).rounded(.up)) - 1)])
        }
        print("\n\(clients) clients on GET /v1/events of `vitals serve` (the alerting fixture, generations every 250 ms), \(rounds) acks")
        print("")
        print("| measure | value |")
        print("|---|---|")
        print("| server CPU with \(clients) clients streaming, over 20 s | \(Report.pct(idleCPU)) |")
        print("| server resident memory with \(clients) clients | \(Report.mb(rssWithClients)) |")
        print("| ack request → a client reads it: p50 / p99 (\(perClient.count) readings) | \(p(perClient, 0.5)) / \(p(perClient, 0.99)) |")
        print("| ack request → the last of \(clients) clients reads it: p50 / p99 / max over \(rounds) acks | \(p(lastClient, 0.5)) / \(p(lastClient, 0.99)) / \(lastClient.last.map(Report.ms) ?? "–") |")
        print("| readings missed (a client that did not see an ack within 10 s) | \(missed) |")
    }
}

/// What the streaming clients saw, shared by their tasks.
private final class Readings: Sendable {
    /// Round → when each client read that round's ack.
    let seen = Mutex<[Int: [ContinuousClock.Instant]]>([:])
    let connected = Atomic<Int>(0)
}
