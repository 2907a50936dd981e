import Foundation
import Testing
import VitalsTesting

/// Alerts in the real binary: acknowledged from the keyboard in tmux, kept through kill -9, and
/// shown by `vitals snapshot --state`. Serialized: the fixture binds fixed loopback addresses.
@Suite(.serialized, .enabled(if: ExternalTool.available("tmux", package: "tmux")))
struct AlertEndToEndTests {
    let vitals = VitalsBinary.path
    let cluster = Fixtures.path("Tests/Fixtures/alerts-cluster.yaml")

    func start(_ session: TmuxSession, state: String) throws {
        try session.run("cd \(Fixtures.repositoryRoot.path) && \(vitals) \(cluster) --state \(state) --user alice --no-bell; echo EXITED:$?")
    }

    @Test func anAckFromTheKeyboardSurvivesKill9() throws {
        let state = EndToEndTests.temporaryStatePath()
        let session = try TmuxSession(width: 140, height: 30)
        defer { session.close() }
        try start(session, state: state)
        try session.waitFor("shop-2", "critical")
        try session.press("4")
        // NodeDown is the root; ServiceDown on shop-2 is folded under it.
        try session.waitFor("NodeDown firing", timeout: 30) { $0.contains("NodeDown") && $0.contains("firing") && $0.contains("root cause of 1: shop") }
        try session.press("a")
        try session.waitFor("acknowledge NodeDown shop-2 (2 alerts) · comment:")
        try session.run("rebooting shop-2")  // types the comment and presses enter
        let acked = try session.waitFor("acked", "✓ alice: rebooting shop-2")
        #expect(acked.contains("⚑ 2 firing, 0 unacked"))

        // The screen showed it: now kill -9, at once.
        let shell = try session.shellPID()
        _ = try Run.process("/usr/bin/pkill", ["-KILL", "-P", String(shell), "-x", "vitals"])
        try session.waitFor("EXITED:137")
        try session.run("clear")
        try start(session, state: state)
        try session.press("4")
        let again = try session.waitFor("still acknowledged", timeout: 30) { $0.contains("NodeDown") && $0.contains("✓ alice: rebooting shop-2") }
        #expect(again.contains("acked"))
        try session.press("q")
        try session.waitFor("EXITED:0")

        // The headless snapshot reads the same acks from the file.
        let snapshot = try Run.process(vitals, ["snapshot", cluster, "--state", state, "--format", "json", "--wait", "15"], timeout: 40)
        #expect(snapshot.status == 0, "\(snapshot.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(snapshot.stdout.utf8)) as? [String: Any])
        let alerts = try #require(object["alerts"] as? [[String: Any]])
        let nodeDown = try #require(alerts.first { $0["name"] as? String == "NodeDown" })
        #expect(nodeDown["acknowledged_by"] as? String == "alice")
        #expect(nodeDown["comment"] as? String == "rebooting shop-2")
        #expect(nodeDown["state"] as? String == "firing")
    }

    @Test func silencingFromTheKeyboardAndTheHistoryView() throws {
        let state = EndToEndTests.temporaryStatePath()
        let session = try TmuxSession(width: 140, height: 30)
        defer { session.close() }
        try start(session, state: state)
        try session.press("4")
        try session.waitFor("NodeDown firing", timeout: 30) { $0.contains("NodeDown") && $0.contains("firing") }
        try session.press("s")
        try session.waitFor("silence NodeDown shop-2")
        try session.run("2h planned reboot")
        try session.waitFor("silenced", "silenced alertname=NodeDown node=shop-2 for 2h")
        try session.press("v")
        try session.press("v")
        try session.waitFor("alertname=NodeDown node=shop-2", "in 1h59m", "alice", "planned reboot")
        try session.press("x")
        try session.waitFor("silence expired")
        try session.press("q")
        try session.waitFor("EXITED:0")
    }

    @Test func aDamagedStateFileIsAClearErrorAndResetKeepsIt() throws {
        let state = EndToEndTests.temporaryStatePath()
        try FileManager.default.createDirectory(atPath: (state as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(String(repeating: "garbage ", count: 1000).utf8).write(to: URL(fileURLWithPath: state))
        let session = try TmuxSession(width: 300, height: 30)
        defer { session.close() }
        try start(session, state: state)
        let screen = try session.waitFor("EXITED:1")
        #expect(screen.contains("vitals: state file \(state): not a Vitals state file, or damaged"))
        #expect(screen.contains("--reset-state"))
        try session.run("clear; \(vitals) \(cluster) --state \(state) --reset-state --no-bell; echo EXITED:$?")
        try session.waitFor("shop-1", "passing")
        try session.press("q")
        try session.waitFor("EXITED:0")
        let folder = try FileManager.default.contentsOfDirectory(atPath: (state as NSString).deletingLastPathComponent)
        #expect(folder.contains { $0.hasPrefix("state.sqlite.broken-") })
    }

    @Test func maintenanceFromTheKeyboardMasksTheDownNodeAndSurvivesARestart() throws {
        let state = EndToEndTests.temporaryStatePath()
        let session = try TmuxSession(width: 140, height: 30)
        defer { session.close() }
        try start(session, state: state)
        try session.press("2")
        try session.waitFor("shop-2", "critical")
        // Select shop-2 (the second node) and put it in maintenance with a reason.
        try session.press("j")
        try session.press("m")
        try session.waitFor("maintenance of shop-2 · reason")
        try session.run("reboot 30m")
        try session.waitFor("shop-2 in maintenance for 30m (m ends it)")
        let masked = try session.waitFor("masked", timeout: 10) { screen in
            screen.split(separator: "\n").contains { $0.contains("shop-2") && $0.contains("maintenance") }
        }
        #expect(!masked.split(separator: "\n").contains { $0.contains("shop-2") && $0.contains("critical") })
        try session.press("Enter")
        try session.waitFor("maintenance shop-2: reboot · alice since")
        try session.press("q")
        try session.waitFor("EXITED:0")
        // Restarted on the same state file: still in maintenance; m in the node view ends it.
        try session.run("clear")
        try start(session, state: state)
        try session.press("2")
        try session.waitFor("still in maintenance", timeout: 20) { screen in
            screen.split(separator: "\n").contains { $0.contains("shop-2") && $0.contains("maintenance") }
        }
        try session.press("j")
        try session.press("m")
        try session.waitFor("maintenance of shop-2 ended")
        try session.waitFor("critical again", timeout: 10) { screen in
            screen.split(separator: "\n").contains { $0.contains("shop-2") && $0.contains("critical") }
        }
        try session.press("q")
        try session.waitFor("EXITED:0")
    }

    @Test func aHeartbeatFromVitalsTTLReachesTheRunningDashboard() throws {
        let state = EndToEndTests.temporaryStatePath()
        let session = try TmuxSession(width: 140, height: 20)
        defer { session.close() }
        let file = Fixtures.path("Tests/Fixtures/ttl-cluster.yaml")
        try session.run("cd \(Fixtures.repositoryRoot.path) && \(vitals) \(file) --state \(state) --no-bell; echo EXITED:$?")
        try session.waitFor("db-1", "critical")
        let sent = try Run.process(vitals, ["ttl", "pass", "db-1/db/beat", "--note", "backup verified", "--state", state])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout == "ok db-1/db/beat passing\n")
        try session.waitFor("passing", timeout: 10) { screen in screen.split(separator: "\n").contains { $0.contains("db-1") && $0.contains("passing") } }
        try session.press("Enter")
        try session.waitFor("backup verified")
        let wrong = try Run.process(vitals, ["ttl", "pass", "nope", "--state", state])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("vitals ttl: no ttl check 'nope' (ttl checks: db-1/db/beat)"))
        // Another state file in the same folder is another dashboard: the heartbeat does not
        // reach this one.
        let neighbour = (state as NSString).deletingLastPathComponent + "/other.sqlite"
        let elsewhere = try Run.process(vitals, ["ttl", "pass", "db-1/db/beat", "--state", neighbour])
        #expect(elsewhere.status == 1)
        #expect(elsewhere.stderr.contains("no running vitals listens on \(neighbour).sock"), "\(elsewhere.stderr)")
        try session.press("q")
        try session.waitFor("EXITED:0")
        let gone = try Run.process(vitals, ["ttl", "pass", "beat", "--state", state])
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("no running vitals listens on"))
    }
}

/// `r` in the release binary: a valid file replaces the running config and keeps the state of
/// the checks it did not change; a file with errors is refused, the errors shown with their
/// places, and the running config kept.
@Suite(.serialized, .enabled(if: ExternalTool.available("tmux", package: "tmux")))
struct ReloadEndToEndTests {
    @Test func rReloadsTheFileAndRefusesABrokenOne() throws {
        let state = EndToEndTests.temporaryStatePath()
        let folder = (state as NSString).deletingLastPathComponent
        let file = "\(folder)/reload-cluster.yaml"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let original = try String(contentsOfFile: Fixtures.path("Tests/Fixtures/ttl-cluster.yaml"), encoding: .utf8)
        try original.write(toFile: file, atomically: true, encoding: .utf8)
        let session = try TmuxSession(width: 140, height: 30)
        defer { session.close() }
        try session.run("cd \(Fixtures.repositoryRoot.path) && \(VitalsBinary.path) \(file) --state \(state) --no-bell; echo EXITED:$?")
        try session.waitFor("db-1", "critical")
        let sent = try Run.process(VitalsBinary.path, ["ttl", "pass", "db-1/db/beat", "--note", "backup verified", "--state", state])
        #expect(sent.status == 0, "\(sent.stderr)")
        try session.waitFor("passing", timeout: 10) { screen in screen.split(separator: "\n").contains { $0.contains("db-1") && $0.contains("passing") } }
        try session.press("r")
        try session.waitFor("reload-cluster.yaml is unchanged")

        // A second service with an exec check: reloaded; the heartbeat's state is kept.
        let added = original + """
                  - name: disk
                    checks:
                      - { name: space, exec: ["/bin/echo", "DISK OK 42% free"], interval: 1s }

            """
        try added.write(toFile: file, atomically: true, encoding: .utf8)
        try session.press("r")
        try session.waitFor("reloaded reload-cluster.yaml: 1 check kept, 0 changed, 1 new, 0 gone")
        try session.press("Enter")
        try session.waitFor("backup verified", "DISK OK 42% free")

        // A typo: refused, with the place; the running config (and its new check) stays.
        try added.replacingOccurrences(of: "42% free\"], interval: 1s }", with: "42% free\"], interval: often }").write(toFile: file, atomically: true, encoding: .utf8)
        try session.press("r")
        try session.waitFor("Reload refused: the running config is kept", "reload-cluster.yaml:13:79: bad duration 'often'")
        try session.waitFor("reload refused: 1 error in reload-cluster.yaml; still running the config loaded before")
        try session.press("x")
        try session.waitFor("closed", timeout: 5) { !$0.contains("Reload refused") }
        try session.waitFor("backup verified", "DISK OK 42% free")
        try session.press("q")
        try session.waitFor("EXITED:0")
    }
}
