import Foundation
import Testing
@testable import VitalsCore
@testable import VitalsEngine

/// `scale_command` run for real: a script written by the test gets the service and the count;
/// a failure and a hang (killed at `command_timeout`) are reported and kept in the history;
/// autoscale does not ask again in a loop for what failed.
@Suite struct ScaleCommandTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-scale-\(UUID().uuidString)").path

    func script(_ body: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/scale-\(UUID().uuidString.prefix(6)).sh"
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    func engine(command: [String], timeout: Duration = .seconds(5), autoscale: Bool = false) -> Engine {
        var config = ClusterConfig(name: "scale", nodes: [
            NodeConfig(name: "orders-1", address: "127.0.0.1", services: [ServiceConfig(name: "orders")]),
        ])
        var policy = ScalingPolicy(service: "orders", metric: .cpu, target: 60, minReplicas: 1, maxReplicas: 5)
        policy.scaleCommand = command
        policy.commandTimeout = timeout
        policy.autoscale = autoscale
        config.scaling = ScalingConfig(interval: .seconds(1), policies: [policy])
        return Engine(config: config)
    }

    @Test func theCommandGetsTheServiceAndTheCountAndTheOutcomeIsKept() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = "\(folder)/calls"
        let path = try script("echo \"$1 $2\" >> \(log); echo scaled")
        let engine = engine(command: [path, "{service}", "{replicas}"])
        let said = await engine.scale(service: "orders", to: 3, by: "alice")
        #expect(said.hasPrefix("orders: scaling to 3"), "\(said)")
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "orders 3\n")
        // Out of min/max: brought within them.
        _ = await engine.scale(service: "orders", to: 50, by: "alice")
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "orders 3\norders 5\n")
        let history = engine.store.latest.alertHistory
        #expect(history.first?.name == "Scaled")
        #expect(history.contains { $0.summary.contains("by alice") && $0.summary.contains("done") && $0.summary.contains("exit 0: scaled") })
        #expect(await engine.scale(service: "cart", to: 2, by: "alice") == "cart has no scaling policy")
    }

    @Test func aFailingCommandIsReportedWithItsOutput() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try script("echo 'quota exceeded' >&2; exit 3")
        let engine = engine(command: [path, "{replicas}"])
        let said = await engine.scale(service: "orders", to: 2, by: "bob")
        #expect(said.contains("scaling to 2 failed") && said.contains("exit 3: quota exceeded"), "\(said)")
        #expect(engine.store.latest.alertHistory.first?.name == "ScaleFailed")
    }

    @Test(.timeLimit(.minutes(1)))
    func aHangingCommandIsKilledAtItsTimeout() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try script("sleep 30")
        let engine = engine(command: [path], timeout: .milliseconds(500))
        let started = ContinuousClock.now
        let said = await engine.scale(service: "orders", to: 2, by: "bob")
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(said.contains("failed") && said.contains("timed out after 500ms"), "\(said)")
    }

    /// Autoscale asks once; a command that failed is not run again for the same count until
    /// five minutes have passed.
    @Test(.timeLimit(.minutes(1)))
    func autoscaleDoesNotRetryAFailureInALoop() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = "\(folder)/calls"
        let path = try script("echo run >> \(log); exit 1")
        let engine = engine(command: [path], autoscale: true)
        var snapshot = engine.store.latest
        var metrics = NodeMetrics()
        metrics.cpu = 0.95
        snapshot.nodes = [NodeSnapshot(name: "orders-1", address: "127.0.0.1", status: .passing, services: ["orders"], metrics: metrics)]
        snapshot.services = [ServiceSnapshot(name: "orders", node: "orders-1", status: .passing, checks: [])]
        let t0 = Date()
        for second in 0..<20 {
            _ = engine.stepCapacity(snapshot, scraped: { [:] }, ranges: { _, _, _ in [] }, time: t0.addingTimeInterval(Double(second) * 2))
            try await Task.sleep(for: .milliseconds(50))
        }
        for _ in 0..<600 where engine.store.latest.alertHistory.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        let runs = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").count ?? 0
        #expect(runs == 1, "ran \(runs) times in 40 s of evaluations")
        #expect(engine.store.latest.alertHistory.first?.summary.contains("1 → 2 by autoscale") == true, "\(engine.store.latest.alertHistory.map(\.summary))")
    }
}
