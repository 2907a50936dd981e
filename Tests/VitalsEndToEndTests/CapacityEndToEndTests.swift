import Foundation
import Testing
import VitalsTesting

/// The demo's traffic surge on the release binary, headless: `vitals serve` with the e-commerce
/// file's policies set to autoscale, the scenario played 6× faster. Orders' replicas rise while
/// its traffic is tripled and come back down once it falls and the scale-down window passes,
/// turning round once; every change is in the alert history.
@Suite(.serialized, .enabled(if: ExternalTool.available("curl", package: "curl") && ExternalTool.available("tmux", package: "tmux")))
struct CapacityEndToEndTests {
    /// In the dashboard: pane 6 shows the advice and why; S asks, enter applies it, and the new
    /// instance registers and shows.
    @Test(.timeLimit(.minutes(3)))
    func sInTheCapacityPaneAsksThenScales() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-s-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = try DemoFile.write(in: folder, policies: """
              interval: 1s
              policies:
                - { service: orders, metric: cpu, target: 60, min_replicas: 2, max_replicas: 8 }
            """)
        let session = try TmuxSession(width: 200, height: 40)
        defer { session.close() }
        try session.run("\(VitalsBinary.path) \(file) --scenario traffic-surge --scenario-speed 6 --state \(folder)/state.sqlite --no-bell; echo EXITED:$?")
        try session.waitFor("web-1", "● passing", timeout: 30)
        try session.press("6")
        let advised = try session.waitFor("advice to scale out", timeout: 60) { screen in
            screen.contains("6 Capacity 1") && screen.split(separator: "\n").contains { $0.contains("orders") && $0.contains("▲") && $0.contains("replicas (was 3)") }
        }
        #expect(advised.contains("SERVICE") && advised.contains("REPLICAS") && advised.contains("WHY"))
        try session.press("S")
        try session.waitFor("scale orders 3 → ", "enter confirms, or type a count")
        try session.press("Enter")
        try session.waitFor("scaled", timeout: 30) { $0.contains("orders: scaling to") && $0.contains("started") }
        try session.press("2")
        try session.waitFor("orders-4 registered", timeout: 30) { $0.contains("orders-4") && $0.contains("127.0.10.") }
        try session.press("q")
        try session.waitFor("EXITED:0")
    }

    @Test(.timeLimit(.minutes(4)))
    func aSurgeIsAbsorbedByScalingOutAndScaledBackInWithoutOscillation() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-surge-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = try DemoFile.write(in: folder, policies: """
              interval: 1s
              policies:
                - { service: orders, metric: cpu, target: 60, min_replicas: 2, max_replicas: 8, autoscale: true, scale_down: { stabilization: 10s } }
            """)
        let server = try BackgroundProcess(VitalsBinary.path, [
            "serve", file, "--listen", "127.0.0.1:17951", "--state", "\(folder)/state.sqlite", "--scenario", "traffic-surge", "--scenario-speed", "6",
        ])
        defer { server.stop() }
        try server.waitForOutput("listening", timeout: 30)

        // The surge runs from 3 s to 63 s of each 100 s loop at this speed.
        var counts: [Int] = []
        var reasons: [String] = []
        let began = Date()
        while Date().timeIntervalSince(began) < 150 {
            let (status, body) = try curl(["http://127.0.0.1:17951/v1/snapshot"])
            if status == 200, let snapshot = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
               let orders = (snapshot["capacity"] as? [[String: Any]])?.first(where: { $0["service"] as? String == "orders" }),
               let current = orders["current"] as? Int {
                if counts.last != current { counts.append(current) }
                if let reason = orders["reason"] as? String, reasons.last != reason { reasons.append(reason) }
                // Up, then back down to where it began: done.
                if let first = counts.first, let top = counts.max(), top > first, current <= first, Date().timeIntervalSince(began) > 60 { break }
            }
            usleep(500_000)
        }
        let first = try #require(counts.first, "no capacity advice for orders: \(server.output.suffix(2_000))")
        let top = try #require(counts.max())
        #expect(top > first, "orders was never scaled out: \(counts)\n\(reasons.suffix(10).joined(separator: "\n"))")
        #expect(counts.last.map { $0 <= first } == true, "orders was not scaled back in: \(counts)\n\(reasons.suffix(10).joined(separator: "\n"))")
        // No oscillation: the count rises, then falls, and turns round once.
        let steps = zip(counts, counts.dropFirst()).map { $1 > $0 ? 1 : -1 }
        let turns = zip(steps, steps.dropFirst()).filter { $0 != $1 }.count
        #expect(turns <= 1, "the count went up and down more than once: \(counts)")
        // The advice said why in words (autoscale applies it within a second, so the moment that
        // said "→ N replicas (was M)" may fall between two looks; the history keeps it).
        #expect(reasons.contains { $0.contains("orders: CPU") && $0.contains("vs target 60%") }, "\(reasons)")
        print("orders replicas over the surge: \(counts)")
        // The scale-in is written once its instances have drained and stopped.
        var alerts = ""
        for _ in 0..<60 {
            alerts = try curl(["http://127.0.0.1:17951/v1/alerts"]).body
            if alerts.contains("drained and stopped") { break }
            usleep(500_000)
        }
        #expect(alerts.contains("\"Scaled\"") && alerts.contains("by autoscale"), "every change is in the history")
        #expect(!alerts.contains("already"), "autoscale waited for its change to show instead of asking again: \(alerts)")
        #expect(alerts.contains("drained and stopped"), "scaled in: instances deregistered, drained, stopped")
    }
}
