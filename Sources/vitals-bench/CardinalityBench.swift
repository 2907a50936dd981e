import ArgumentParser
import Foundation
import VitalsHarness

/// `vitals serve` scraping a target that mints new series every scrape, read by an alert rule:
/// its resident memory over the attack and its CPU after, next to a quiet target in the same run.
struct CardinalityBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cardinality",
        abstract: "RSS of vitals serve under a target minting 400,000 new series per scrape (default limits, and limits raised), next to a quiet target."
    )

    @OptionGroup var binary: VitalsBinaryOption

    @Option(help: "New series per scrape.")
    var series = 400_000

    @Option(help: "Seconds of attack per run.")
    var seconds = 50

    /// Serves /metrics with COUNT new `card{id}` series on every request.
    static let target = #"""
    import http.server, sys
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    scrapes = [0]
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            base = scrapes[0] * count
            scrapes[0] += 1
            body = ("# TYPE card counter\n" + "".join('card{id="%d"} 1\n' % i for i in range(base, base + count))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args): pass
    print("serving", flush=True)
    http.server.ThreadingHTTPServer((host, port), Handler).serve_forever()
    """#

    func run() async throws {
        let vitals = try binary.path()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-card-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.target.write(toFile: folder + "/target.py", atomically: true, encoding: .utf8)
        print("vitals-bench cardinality: vitals serve, one target scraped every 5 s, rule sum(rate(card[5m])) > 0, \(seconds) s per run")
        print("")
        print("| target | limits | RSS before | RSS peak | RSS at the end | CPU during | CPU in the 10 s after | the node says |")
        print("|---|---|---|---|---|---|---|---|")
        let runs: [(String, Int, String)] = [
            ("quiet (10 series, baseline)", 10, ""),
            ("\(series) new series per scrape", series, ""),
            ("\(series) new series per scrape", series, "metrics: { sample_limit: 1000000, max_bytes: 128MB }\n"),
        ]
        for (index, (name, count, limits)) in runs.enumerated() {
            let port = 19_100 + index
            let target = try BackgroundProcess("/usr/bin/python3", [folder + "/target.py", "127.0.0.1", String(port), String(count)])
            defer { target.stop() }
            try target.waitForOutput("serving", timeout: 30)
            let file = folder + "/card-\(index).yaml"
            try """
                cluster: card
                \(limits)nodes:
                  - name: noisy
                    address: 127.0.0.1
                    metrics: { url: "http://127.0.0.1:\(port)/metrics", interval: 5s, timeout: 4s }
                alerts:
                  - { name: Card, expr: "sum(rate(card[5m])) > 0" }
                """.write(toFile: file, atomically: true, encoding: .utf8)
            let api = "127.0.0.1:\(19_200 + index)"
            let server = try BackgroundProcess(vitals, ["serve", file, "--listen", api, "--state", folder + "/state-\(index).sqlite"])
            defer { server.stop() }
            try server.waitForOutput("listening", timeout: 60)
            let before = try ProcStat(pid: server.pid)
            var peak = before.residentBytes
            for _ in 0..<seconds {
                try await Task.sleep(for: .seconds(1))
                peak = max(peak, try ProcStat(pid: server.pid).residentBytes)
            }
            let during = try ProcStat(pid: server.pid)
            let node = (try? Run.process("/usr/bin/curl", ["-s", "http://\(api)/v1/nodes/noisy"], timeout: 10).stdout) ?? ""
            target.stop()
            try await Task.sleep(for: .seconds(10))
            let after = try ProcStat(pid: server.pid)
            let said = Self.scrapeNote(node)
            print("| \(name) | \(limits.isEmpty ? "defaults (sample_limit 50000, max_bytes 256MB)" : "sample_limit 1000000, max_bytes 128MB") | \(Report.mb(before.residentBytes)) | \(Report.mb(peak)) | \(Report.mb(during.residentBytes)) | \(Report.pct((during.cpuSeconds - before.cpuSeconds) / Double(seconds))) | \(Report.pct((after.cpuSeconds - during.cpuSeconds) / 10)) | \(said) |")
        }
    }

    /// The node's scrape error or warning, from its JSON.
    static func scrapeNote(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let node = object["node"] as? [String: Any], let metrics = node["metrics"] as? [String: Any] else { return "?" }
        let text = (metrics["scrape_error"] as? String) ?? (metrics["scrape_warning"] as? String) ?? "–"
        return String(text.prefix(90)).replacingOccurrences(of: "|", with: "/")
    }
}
