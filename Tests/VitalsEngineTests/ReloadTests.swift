import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsTesting

/// A reload replaces the engine with one built from the new file: unchanged checks keep their
/// state, results and heartbeats, changed ones keep their status until their next result, new
/// ones start afresh, alerts keep their acks,
/// and the alerts of a removed rule resolve.
@Suite(.serialized) struct ReloadTests {
    func config(_ web: CannedServer, db: String, extra: String = "", downInterval: String = "200ms", nodeDown: String = "{ name: NodeDown, for: 0s }") throws -> ClusterConfig {
        let yaml = """
            cluster: reload
            nodes:
              - name: web
                address: \(web.host)
                checks:
                  - { name: up, tcp: "\(web.host):\(web.port)", interval: 200ms, timeout: 1s }
                  - { name: beat, ttl: 1h, interval: 200ms }
            \(extra)
              - name: db
                address: \(db)
                checks:
                  - { name: down, tcp: "\(db):1", interval: \(downInterval), timeout: 1s }
            alerts:
              - \(nodeDown)
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "reload.yaml")
        return try #require(result.config, "\(result.diagnostics)")
    }

    func stop(_ engine: Engine, _ task: Task<Void, Never>) async {
        task.cancel()
        await task.value
    }

    @Test func unchangedChecksAndAcksCarryOverAndNewOnesStartAfresh() async throws {
        let web = try await CannedServer.start(answer: [], close: false)
        let db = TestCluster.uniqueAddress()
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(50)
        let first = Engine(config: try config(web, db: db), options: options)
        let firstRun = Task { await first.run() }
        _ = first.command("ttl pass beat deployed v42")
        let firing = try #require(await first.store.first(where: { snapshot in
            snapshot.nodes[0].checks.allSatisfy { $0.status == .passing } && snapshot.alerts.contains { $0.name == "NodeDown" && $0.state == .firing }
        }, timeout: .seconds(15)))
        let alert = try #require(firing.alerts.first { $0.name == "NodeDown" })
        let acked = try first.acknowledge([alert.id], by: "alice", comment: "db moving racks")
        #expect(acked.map(\.id) == [alert.id])
        await stop(first, firstRun)
        let before = first.store.latest

        // Same web checks, one check added to web, db's check changed (its interval).
        let extra = "      - { name: extra, tcp: \"\(web.host):\(web.port)\", interval: 200ms }"
        let second = Engine(config: try config(web, db: db, extra: extra, downInterval: "300ms"), options: options, replacing: first)
        #expect(second.reload == Engine.ReloadSummary(keptChecks: 2, changedChecks: 1, addedChecks: 1, removedChecks: 0, resolvedAlerts: 0))
        let shown = second.store.latest
        #expect(shown.generation > before.generation, "the dashboard must see a new snapshot")
        let webChecks = Dictionary(uniqueKeysWithValues: shown.nodes[0].checks.map { ($0.name, $0) })
        #expect(webChecks["up"]?.status == .passing)
        #expect(webChecks["up"]?.output == before.nodes[0].checks[0].output)
        #expect(webChecks["beat"]?.output == "deployed v42")
        #expect(webChecks["extra"]?.hasResult == false)
        #expect(shown.nodes[1].checks[0].status == .critical, "a changed check keeps its status until its next result")
        #expect(shown.nodes[1].checks[0].output == before.nodes[1].checks[0].output)
        #expect(shown.alerts.first { $0.id == alert.id }?.acknowledgedBy == "alice", "alerts are shown as they were until the new rules run")

        let secondRun = Task { await second.run() }
        let settled = try #require(await second.store.first(where: { snapshot in
            snapshot.nodes[1].checks[0].status == .critical && snapshot.nodes[0].checks.allSatisfy { $0.status == .passing }
        }, timeout: .seconds(15)))
        let still = try #require(settled.alerts.first { $0.id == alert.id })
        #expect(still.state == .firing)
        #expect(still.acknowledgedBy == "alice")
        #expect(still.comment == "db moving racks")
        #expect(still.since == alert.since, "the same alert, not a new one")
        #expect(second.command("ttl pass web/beat again") == "ok web/beat passing", "the new engine takes heartbeats")
        await stop(second, secondRun)

        // NodeDown turned off: its alert resolves, and says why.
        let third = Engine(config: try config(web, db: db, nodeDown: "{ name: NodeDown, enabled: false }"), options: options, replacing: second)
        #expect(third.reload?.resolvedAlerts == 1)
        let thirdRun = Task { await third.run() }
        let resolved = try #require(await third.store.first(where: { $0.alerts.isEmpty && !$0.alertHistory.isEmpty }, timeout: .seconds(10)))
        #expect(resolved.alertHistory.first?.summary == "rule NodeDown removed by a reload")
        await stop(third, thirdRun)
        await web.stop()
    }
}
