import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsHarness
import VitalsTesting

/// Acks, silences and history in a real SQLite file, across a reopen, and bad state files.
@Suite struct AlertStateStoreTests {
    static func temporaryPath(_ name: String = "state.sqlite") -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-state-\(UUID().uuidString)")
        return directory.appendingPathComponent(name).path
    }

    func alert(_ node: String, since: Date = Fixtures.time) -> AlertSnapshot {
        let labels = AlertLabels(["alertname": "ServiceDown", "node": node, "service": "orders"])
        return AlertSnapshot(
            id: labels.fingerprint, name: "ServiceDown", severity: .critical, state: .firing, node: node, service: "orders",
            since: since, firedAt: since.addingTimeInterval(10), summary: "orders on \(node) is critical", labels: labels.dictionary
        )
    }

    @Test func acksSilencesAndHistoryRoundTripThroughAReopen() throws {
        let path = Self.temporaryPath()
        let a = alert("orders-1"), b = alert("orders-2")
        let silence = SilenceSnapshot(id: "s-1", matchers: ["alertname": "ServiceDown", "service": "orders"], startsAt: Fixtures.time,
                                      endsAt: Fixtures.time.addingTimeInterval(7200), createdBy: "alice", comment: "migration")
        do {
            let store = try AlertStateStore(path: path)
            try store.record(AlertTracker.Changes(fired: [a, b]))
            try store.acknowledge([a], AlertTracker.Ack(by: "alice", at: Fixtures.time, comment: "looking at the pool"))
            try store.save(silence, action: "silence", by: "alice", at: Fixtures.time)
            var resolved = b
            resolved.state = .resolved
            resolved.resolvedAt = Fixtures.time.addingTimeInterval(300)
            try store.record(AlertTracker.Changes(resolved: [resolved]))
        }
        let loaded = try AlertStateStore(path: path).load()
        #expect(loaded.acks[a.id] == AlertTracker.Ack(by: "alice", at: Fixtures.time, comment: "looking at the pool"))
        #expect(loaded.firing.keys.sorted() == [a.id])
        #expect(loaded.firing[a.id]?.activeAt == a.since)
        #expect(loaded.silences == [silence])
        #expect(loaded.history.map(\.id) == [b.id])
        #expect(loaded.history.first?.resolvedAt == Fixtures.time.addingTimeInterval(300))
        let journal = try AlertStateStore(path: path).journal()
        #expect(journal.map(\.action) == ["ack", "silence"])
        #expect(journal.first?.comment == "looking at the pool")
    }

    @Test func aFileThatIsNotSQLiteIsAClearErrorAndResetMovesItAside() throws {
        let path = Self.temporaryPath()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(String(repeating: "this is not a database\n", count: 200).utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try AlertStateStore(path: path)
        } throws: { error in
            let problem = error as? AlertStateStore.Problem
            return problem?.resettable == true && problem?.description.contains("--reset-state") == true
        }
        let store = try AlertStateStore(path: path, reset: true)
        #expect(try store.load().acks.isEmpty)
        let aside = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(aside.contains { $0.hasPrefix("state.sqlite.broken-") }, "the damaged file is kept, not deleted")
    }

    @Test func aReadOnlyFolderIsAClearError() throws {
        guard getuid() != 0 else {
            // root writes through permissions; the read-only case is covered for other users.
            let path = Self.temporaryPath()
            _ = try AlertStateStore(path: path)
            return
        }
        let path = Self.temporaryPath()
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        chmod(folder, 0o500)
        defer { chmod(folder, 0o700) }
        #expect(throws: AlertStateStore.Problem.self) { try AlertStateStore(path: path) }
    }

    @Test func aFileLockedByAnotherProgramIsAClearErrorNotAHang() throws {
        let path = Self.temporaryPath()
        _ = try AlertStateStore(path: path)
        guard ExternalTool.available("sqlite3", package: "sqlite3"), let sqlite = ExternalTool.path(of: "sqlite3") else { return }
        // sqlite3 holds the write lock for 5 seconds; a write meanwhile must fail after the 2 s wait.
        let holder = try BackgroundProcess(sqlite, ["-cmd", "BEGIN EXCLUSIVE;", path, ".shell echo locked; sleep 5"])
        defer { holder.stop() }
        try holder.waitForOutput("locked", timeout: 10)
        let store = try? AlertStateStore(path: path)
        var problem: AlertStateStore.Problem?
        do {
            try store?.acknowledge([alert("orders-1")], AlertTracker.Ack(by: "x", at: Fixtures.time, comment: ""))
        } catch {
            problem = error
        }
        #expect(problem?.description.contains("locked") ?? true)
        #expect(store == nil || problem != nil, "either opening or writing reports the lock")
    }
}
