import ArgumentParser
import Foundation
import Synchronization
import VitalsEngine
import VitalsHarness
import VitalsServer

/// Consul-style registration on `vitals serve`: registrations per second under wrk (and the
/// server's CPU per registration), 1,000 blocking queries woken by one change, and wrk on
/// `/v1/health/service/{name}` with 10,000 instances registered; each next to `GET /v1/status`
/// on the same server in the same run.
struct RegistryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Registrations/s and CPU per registration; 1,000 blocking queries woken by one change; wrk on /v1/health/service at 10,000 instances."
    )

    @OptionGroup var binary: VitalsBinaryOption

    @Option(help: "Distinct registrations (spread over 100 service names).")
    var instances = 10_000

    @Option(help: "Blocking queries woken by one change.")
    var waiters = 1_000

    @Option(help: "Rounds of waking them.")
    var rounds = 5

    @Option(help: "Seconds of wrk per URL.")
    var wrkSeconds = 10

    static let listen = "127.0.0.1:7480"
    static let base = "http://127.0.0.1:7480"

    func run() async throws {
        let vitals = try binary.path()
        guard let wrk = ExternalTool.path(of: "wrk") else { throw ValidationError("wrk is not installed (apt-get install wrk)") }
        _ = ResourceLimits.raiseOpenFiles()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // One file node; registrations are the load. TTL checks: the engine runs them without probing.
        let cluster = """
            cluster: bench
            max_registrations: \(instances + 1000)
            nodes:
              - { name: api-1, address: 127.0.0.1, services: [ { name: api, checks: [ { name: beat, ttl: 1h } ] } ] }
            """
        try Data(cluster.utf8).write(to: URL(fileURLWithPath: folder + "/bench.yaml"))
        let server = try BackgroundProcess(vitals, [
            "serve", folder + "/bench.yaml", "--listen", Self.listen, "--state", folder + "/state.sqlite", "--max-connections", "\(waiters + 512)",
        ])
        defer { server.stop() }
        try server.waitForOutput("listening", timeout: 60)
        print("vitals-bench registry: \(vitals), \(ProcessInfo.processInfo.activeProcessorCount) cores")

        // 1. Registrations per second: wrk sends PUT /v1/agent/service/register with IDs 0..N-1
        // (each thread its own), then again (Consul clients re-register as they run).
        let script = folder + "/register.lua"
        try Data("""
            local counter = 0
            local threads = 0
            function setup(thread) thread:set("id", threads); threads = threads + 1 end
            function init(args) base = id * 1000000 end
            request = function()
              local n = counter % \(instances / 2)
              counter = counter + 1
              local name = "svc-" .. (n % 50 + id * 50)
              local body = '{"ID": "i-' .. (base + n) .. '", "Name": "' .. name .. '", "Address": "127.0.9.1", "Port": ' .. (1000 + n % 50000) .. ', "Tags": ["bench"], "Check": {"TTL": "1h", "Status": "passing"}}'
              return wrk.format("PUT", "/v1/agent/service/register", {["Content-Type"] = "application/json"}, body)
            end
            """.utf8).write(to: URL(fileURLWithPath: script))
        let before = try ProcStat(pid: server.pid)
        let registering = try wrkRun(wrk, ["-t2", "-c8", "-d\(wrkSeconds)s", "--latency", "-s", script, Self.base + "/v1/agent/service/register"])
        let cpu = try ProcStat(pid: server.pid).cpuSeconds - before.cpuSeconds
        let status = try wrkRun(wrk, ["-t2", "-c8", "-d\(wrkSeconds)s", "--latency", Self.base + "/v1/status"])
        let registered = try count()
        print("\nwrk -t2 -c8 -d\(wrkSeconds)s on the same loopback; \(registered) instances registered (\(instances / 2) IDs per wrk thread, then registered again)")
        print("")
        print("| request | requests/s | p50 | p99 | server CPU per request |")
        print("|---|---|---|---|---|")
        print("| PUT /v1/agent/service/register (TTL check) | \(Int(registering.rate)) | \(registering.p50) | \(registering.p99) | \(String(format: "%.0f µs", cpu / max(1, registering.requests) * 1e6)) |")
        print("| GET /v1/status (baseline) | \(Int(status.rate)) | \(status.p50) | \(status.p99) | – |")
        print("ratio register / status: \(Report.ratio(registering.rate, status.rate))")

        // 2. 1,000 blocking queries on one service, woken by one registration into it.
        try await Task.sleep(for: .seconds(2))
        let client = try APIClient(url: Self.base, user: "bench", timeout: .seconds(120))
        var last: [Double] = [], all: [Double] = []
        for round in 0..<rounds {
            let index = try consulIndex("/v1/health/service/svc-0")
            let answered = Answers()
            let tasks = (0..<waiters).map { _ in
                Task.detached {
                    _ = try? await client.send("GET", "/v1/health/service/svc-0?index=\(index)&wait=60s")
                    let now = ContinuousClock.now
                    answered.times.withLock { $0.append(now) }
                }
            }
            try await Task.sleep(for: .seconds(3))
            let early = answered.times.withLock { $0.count }
            let sent = ContinuousClock.now
            _ = try await client.send("PUT", "/v1/agent/service/register", json: ["ID": "woken-\(round)", "Name": "svc-0", "Check": ["TTL": "1h"]])
            for task in tasks { await task.value }
            let delays = answered.times.withLock { $0 }.map { ($0 - sent).seconds }.filter { $0 >= 0 }.sorted()
            if early > 0 { print("round \(round): \(early) answered before the change (their wait had not begun)") }
            all += delays
            if let max = delays.last { last.append(max) }
        }
        all.sort()
        last.sort()
        print("\n\(waiters) blocking GET /v1/health/service/svc-0?index=N&wait=60s, one registration into svc-0, \(rounds) rounds")
        print("")
        print("| measure | value |")
        print("|---|---|")
        print("| each query: p50 from the change to its answer | \(Report.ms(percentile(all, 0.5))) |")
        print("| each query: p99 | \(Report.ms(percentile(all, 0.99))) |")
        print("| the last of the \(waiters) answered (median of rounds / worst) | \(Report.ms(percentile(last, 0.5))) / \(Report.ms(last.last ?? 0)) |")

        // 3. Reads with the registry full.
        let registeredNow = try count()
        print("\nwrk -t2 -c16 -d\(wrkSeconds)s with \(registeredNow) instances registered")
        print("")
        print("| URL | requests/s | p50 | p99 | body |")
        print("|---|---|---|---|---|")
        var rates: [String: Double] = [:]
        for path in ["/v1/health/service/svc-0", "/v1/health/service/svc-0?passing", "/v1/catalog/services", "/v1/status"] {
            let size = (try? Run.process("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{size_download}", Self.base + path]).stdout) ?? "?"
            let result = try wrkRun(wrk, ["-t2", "-c16", "-d\(wrkSeconds)s", "--latency", Self.base + path])
            rates[path] = result.rate
            print("| \(path) | \(Int(result.rate)) | \(result.p50) | \(result.p99) | \(Int(size).map { Report.kb($0) } ?? size) |")
        }
        print("ratio /v1/health/service/svc-0 / /v1/status: \(Report.ratio(rates["/v1/health/service/svc-0"] ?? 0, rates["/v1/status"] ?? 1))")
        print("server resident memory: \(Report.mb(try ProcStat(pid: server.pid).residentBytes))")
    }

    func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * q).rounded(.up)) - 1))]
    }

    func count() throws -> Int {
        let body = try Run.process("/usr/bin/curl", ["-s", Self.base + "/v1/agent/services"]).stdout
        return (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?.count ?? 0
    }

    func consulIndex(_ path: String) throws -> UInt64 {
        let head = try Run.process("/usr/bin/curl", ["-s", "-D", "-", "-o", "/dev/null", Self.base + path]).stdout
        let line = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("x-consul-index:") }
        return UInt64(line?.split(separator: " ").last ?? "") ?? 0
    }

    final class Answers: Sendable {
        let times = Mutex<[ContinuousClock.Instant]>([])
    }

    struct WrkResult {
        var rate: Double
        var requests: Double
        var p50: String
        var p99: String
    }

    func wrkRun(_ wrk: String, _ arguments: [String]) throws -> WrkResult {
        let result = try Run.process(wrk, arguments, timeout: Double(wrkSeconds) + 60)
        let lines = result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func field(_ prefix: String) -> String { lines.first { $0.hasPrefix(prefix) }?.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) ?? "?" }
        let total = lines.first { $0.contains("requests in") }?.split(separator: " ").first.flatMap { Double($0) } ?? 0
        if let errors = lines.first(where: { $0.contains("Non-2xx") || $0.contains("Socket errors") }) { print("wrk \(arguments.last ?? ""): \(errors)") }
        return WrkResult(rate: Double(field("Requests/sec:")) ?? 0, requests: total, p50: field("50%"), p99: field("99%"))
    }
}
