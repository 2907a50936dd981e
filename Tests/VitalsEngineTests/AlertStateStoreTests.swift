import Foundation
import GRDB
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

    /// A folder that cannot be made (under /proc, where not even root may write).
    @Test func aFolderThatCannotBeMadeIsAClearError() throws {
        #expect {
            try AlertStateStore(path: "/proc/vitals-\(UUID().uuidString)/state.sqlite")
        } throws: { error in
            (error as? AlertStateStore.Problem)?.description.contains("cannot create its folder") == true
        }
    }

    /// Ack comments are the team's: the file, its journal and its folder are the user's alone,
    /// and a file of ours that others could read is made private.
    @Test func theStateFileAndItsFolderArePrivate() throws {
        let path = Self.temporaryPath()
        let store = try AlertStateStore(path: path)
        try store.acknowledge([alert("orders-1")], AlertTracker.Ack(by: "ann", at: Fixtures.time, comment: "private"))
        func mode(_ path: String) throws -> Int { try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1 }
        #expect(try mode((path as NSString).deletingLastPathComponent) == 0o700)
        #expect(try mode(path) == 0o600)
        #expect(try mode(path + "-wal") == 0o600)
        chmod(path, 0o644)
        _ = try AlertStateStore(path: path)
        #expect(try mode(path) == 0o600)
    }

    /// Another program's database given as `--state` is refused and left as it was: no table
    /// of Vitals' is added, and `--reset-state` does not move it aside.
    @Test func anotherProgramsSQLiteFileIsRefusedAndUntouched() throws {
        let path = Self.temporaryPath("app.db")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let theirs = try DatabaseQueue(path: path)
        try theirs.write { db in try db.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)") }
        try theirs.close()
        for reset in [false, true] {
            #expect {
                try AlertStateStore(path: path, reset: reset)
            } throws: { error in
                let problem = error as? AlertStateStore.Problem
                return problem?.description.contains("an SQLite file of another program (tables: invoices)") == true && problem?.resettable == false
            }
        }
        let tables = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(tables == ["invoices"])
    }

    @Test func aFileLockedByAnotherProgramIsAClearErrorNotAHang() throws {
        let path = Self.temporaryPath()
        _ = try AlertStateStore(path: path)
        guard ExternalTool.available("sqlite3", package: "sqlite3") else { return }
        // Under CI `available` is true whether or not it is installed: missing is a failure there.
        let sqlite = try #require(ExternalTool.path(of: "sqlite3"), "sqlite3 is needed (scripts/test installs it)")
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
