import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import VitalsCore

/// Acks, silences, firing alerts and alert history in a SQLite file (WAL mode, every commit
/// synced), so that an acknowledgement the screen has shown survives `kill -9` at any moment.
///
/// Every person's action is also appended to a journal, so no comment is ever overwritten.
public final class AlertStateStore: Sendable {
    /// Why the state file cannot be used, in words a person can act on.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        /// Whether `--reset-state` would help (the file is damaged, not merely busy or protected).
        public var resettable: Bool

        public var description: String {
            "state file \(path): \(reason)" + (resettable ? " (start with --reset-state to move it aside and begin a fresh one)" : "")
        }
    }

    /// Everything read back at start.
    public struct Loaded: Sendable {
        public var acks: [String: AlertTracker.Ack] = [:]
        public var silences: [SilenceSnapshot] = []
        public var firing: [String: AlertTracker.Restored] = [:]
        /// Maintenance in force when the state was written (expired ones included: the engine ends them).
        public var maintenance: [Maintenance] = []
        public var history: [AlertSnapshot] = []
    }

    public let path: String
    let pool: DatabasePool

    /// Opens (creating when absent) the state file at `path`.
    /// - Parameter reset: when the file is damaged, move it aside (`FILE.broken-TIME`) and start afresh.
    /// - Throws: `Problem` when the file is damaged, locked by another program or not writable.
    public init(path: String, reset: Bool = false) throws(Problem) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                // Ack comments and who wrote them are the team's: the folder is the user's alone.
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw Problem(path: path, reason: "cannot create its folder: \(error.localizedDescription)", resettable: false)
            }
        }
        Self.keepPrivate(path)
        do {
            pool = try Self.open(path)
        } catch let problem as Problem where problem.resettable && reset {
            let aside = "\(path).broken-\(Int(Date().timeIntervalSince1970))"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            Self.keepPrivate(path)
            do { pool = try Self.open(path) } catch { throw Self.problem(error, path: path) }
        } catch {
            throw Self.problem(error, path: path)
        }
    }

    /// Creates the file readable by its owner only (SQLite gives its -wal and -shm files the
    /// same mode), and takes group and other access away from one of ours that has it.
    static func keepPrivate(_ path: String) {
        let descriptor = Glibc.open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        if descriptor >= 0 { close(descriptor) }
        for suffix in ["", "-wal", "-shm"] {
            var status = stat()
            if stat(path + suffix, &status) == 0, status.st_uid == getuid(), status.st_mode & 0o077 != 0 {
                chmod(path + suffix, status.st_mode & 0o700)
            }
        }
    }

    private static func open(_ path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(2)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw problem(error, path: path)
        }
        do {
            let check = try pool.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
            guard check == "ok" else {
                throw Problem(path: path, reason: "the database is damaged (\(check ?? "no answer to a check"))", resettable: true)
            }
            // Another program's database is never given Vitals' tables (nor moved aside).
            let tables = try pool.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            }
            if !tables.isEmpty, !tables.contains("grdb_migrations") {
                let named = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", …" : "")
                throw Problem(
                    path: path, reason: "an SQLite file of another program (tables: \(named)); give Vitals a --state file of its own".sanitizedForTerminal,
                    resettable: false
                )
            }
            try migrator.migrate(pool)
        } catch let problem as Problem {
            throw problem
        } catch {
            throw self.problem(error, path: path)
        }
        return pool
    }

    static func problem(_ error: any Error, path: String) -> Problem {
        if let problem = error as? Problem { return problem }
        guard let database = error as? DatabaseError else {
            return Problem(path: path, reason: "\(error)", resettable: false)
        }
        switch database.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return Problem(path: path, reason: "not a Vitals state file, or damaged (\(database.message ?? "unreadable"))", resettable: true)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return Problem(path: path, reason: "locked by another program (still locked after 2 s); close it or use another --state file", resettable: false)
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            return Problem(path: path, reason: "cannot be written (\(database.message ?? "read-only")); check its permissions or use another --state file", resettable: false)
        case .SQLITE_ERROR where database.message?.contains("no such") == true:
            return Problem(path: path, reason: "its tables are not Vitals' (\(database.message ?? ""))", resettable: true)
        default:
            return Problem(path: path, reason: database.message ?? "\(database)", resettable: false)
        }
    }

    private static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE firing (id TEXT PRIMARY KEY, name TEXT NOT NULL, severity TEXT NOT NULL, labels TEXT NOT NULL,
                                     active_at REAL NOT NULL, fired_at REAL NOT NULL);
                CREATE TABLE ack (alert_id TEXT PRIMARY KEY, by TEXT NOT NULL, at REAL NOT NULL, comment TEXT NOT NULL);
                CREATE TABLE silence (id TEXT PRIMARY KEY, matchers TEXT NOT NULL, starts_at REAL NOT NULL, ends_at REAL NOT NULL,
                                      created_by TEXT NOT NULL, comment TEXT NOT NULL);
                CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL, name TEXT NOT NULL,
                                      severity TEXT NOT NULL, labels TEXT NOT NULL, summary TEXT NOT NULL, since REAL NOT NULL,
                                      fired_at REAL, resolved_at REAL NOT NULL, acked_by TEXT, acked_at REAL, comment TEXT);
                CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, who TEXT NOT NULL,
                                      action TEXT NOT NULL, target TEXT NOT NULL, comment TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("v2-maintenance") { db in
            try db.execute(sql: """
                CREATE TABLE maintenance (target TEXT PRIMARY KEY, node TEXT NOT NULL, service TEXT, reason TEXT NOT NULL,
                                          by TEXT NOT NULL, since REAL NOT NULL, until REAL);
                """)
        }
        migrator.registerMigration("v3-registrations") { db in
            try db.execute(sql: "CREATE TABLE registration (id TEXT PRIMARY KEY, body TEXT NOT NULL, by TEXT NOT NULL, at REAL NOT NULL);")
        }
        return migrator
    }()

    /// Records a maintenance begun, or (with `ended`) ended, and journals it.
    public func save(_ maintenance: Maintenance, ended: Bool, by who: String, at time: Date) throws(Problem) {
        try write { db in
            if ended {
                try db.execute(sql: "DELETE FROM maintenance WHERE target = ?", arguments: [maintenance.target])
            } else {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO maintenance (target, node, service, reason, by, since, until) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [maintenance.target, maintenance.node, maintenance.service, maintenance.reason, maintenance.by,
                                maintenance.since.timeIntervalSince1970, maintenance.until?.timeIntervalSince1970]
                )
            }
            try Self.journal(db, at: time, who: who, action: ended ? "end maintenance" : "maintenance", target: maintenance.target, comment: maintenance.reason)
        }
    }

    /// Reads acks, silences, firing alerts and the newest history back.
    public func load() throws(Problem) -> Loaded {
        do {
            return try pool.read { db in
                var loaded = Loaded()
                for row in try Row.fetchAll(db, sql: "SELECT alert_id, by, at, comment FROM ack") {
                    loaded.acks[row["alert_id"]] = AlertTracker.Ack(by: row["by"], at: Date(timeIntervalSince1970: row["at"]), comment: row["comment"])
                }
                for row in try Row.fetchAll(db, sql: "SELECT * FROM silence ORDER BY starts_at") {
                    let matchers = Self.decode(row["matchers"] as String)
                    loaded.silences.append(SilenceSnapshot(
                        id: row["id"], matchers: matchers, startsAt: Date(timeIntervalSince1970: row["starts_at"]),
                        endsAt: Date(timeIntervalSince1970: row["ends_at"]), createdBy: row["created_by"], comment: row["comment"]
                    ))
                }
                for row in try Row.fetchAll(db, sql: "SELECT * FROM firing") {
                    loaded.firing[row["id"]] = AlertTracker.Restored(
                        activeAt: Date(timeIntervalSince1970: row["active_at"]), firedAt: Date(timeIntervalSince1970: row["fired_at"]),
                        name: row["name"], severity: AlertSeverity(rawValue: row["severity"]) ?? .warning,
                        labels: Self.decode(row["labels"] as String)
                    )
                }
                for row in try Row.fetchAll(db, sql: "SELECT * FROM maintenance ORDER BY since") {
                    loaded.maintenance.append(Maintenance(
                        node: row["node"], service: row["service"], reason: row["reason"], by: row["by"],
                        since: Date(timeIntervalSince1970: row["since"]), until: (row["until"] as Double?).map(Date.init(timeIntervalSince1970:))
                    ))
                }
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM history ORDER BY seq DESC LIMIT ?", arguments: [AlertTracker.historyKept])
                loaded.history = rows.map(Self.historyEntry)
                return loaded
            }
        } catch {
            throw Self.problem(error, path: path)
        }
    }

    /// Records acknowledgements of `alerts` (and journals them) in one transaction.
    public func acknowledge(_ alerts: [AlertSnapshot], _ ack: AlertTracker.Ack) throws(Problem) {
        try write { db in
            for alert in alerts {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO ack (alert_id, by, at, comment) VALUES (?, ?, ?, ?)",
                    arguments: [alert.id, ack.by, ack.at.timeIntervalSince1970, ack.comment]
                )
                try Self.journal(db, at: ack.at, who: ack.by, action: "ack", target: "\(alert.name) \(alert.id)", comment: ack.comment)
            }
        }
    }

    public func unacknowledge(_ ids: [String], by who: String, at time: Date) throws(Problem) {
        try write { db in
            for id in ids {
                try db.execute(sql: "DELETE FROM ack WHERE alert_id = ?", arguments: [id])
                try Self.journal(db, at: time, who: who, action: "unack", target: id, comment: "")
            }
        }
    }

    /// Records a new silence, or a changed end (an expiry).
    public func save(_ silence: SilenceSnapshot, action: String, by who: String, at time: Date) throws(Problem) {
        try write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO silence (id, matchers, starts_at, ends_at, created_by, comment) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [silence.id, Self.encode(silence.matchers), silence.startsAt.timeIntervalSince1970,
                            silence.endsAt.timeIntervalSince1970, silence.createdBy, silence.comment]
            )
            try Self.journal(db, at: time, who: who, action: action, target: "silence \(silence.id) \(silence.matcherText)", comment: silence.comment)
        }
    }

    /// Records alerts that turned firing and alerts that resolved (closing their acks).
    public func record(_ changes: AlertTracker.Changes) throws(Problem) {
        guard !changes.isEmpty else { return }
        try write { db in
            for alert in changes.fired {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO firing (id, name, severity, labels, active_at, fired_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [alert.id, alert.name, alert.severity.rawValue, Self.encode(alert.labels),
                                alert.since.timeIntervalSince1970, (alert.firedAt ?? alert.since).timeIntervalSince1970]
                )
            }
            for alert in changes.resolved {
                try db.execute(sql: "DELETE FROM firing WHERE id = ?", arguments: [alert.id])
                try db.execute(sql: "DELETE FROM ack WHERE alert_id = ?", arguments: [alert.id])
                try db.execute(
                    sql: """
                        INSERT INTO history (alert_id, name, severity, labels, summary, since, fired_at, resolved_at, acked_by, acked_at, comment)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [alert.id, alert.name, alert.severity.rawValue, Self.encode(alert.labels), alert.summary,
                                alert.since.timeIntervalSince1970, alert.firedAt?.timeIntervalSince1970,
                                (alert.resolvedAt ?? Date()).timeIntervalSince1970, alert.acknowledgedBy,
                                alert.acknowledgedAt?.timeIntervalSince1970, alert.comment]
                )
            }
        }
    }

    /// The journal, oldest first: every ack, un-ack, silence and expiry with who and why.
    public func journal() throws(Problem) -> [(at: Date, who: String, action: String, target: String, comment: String)] {
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM journal ORDER BY seq").map { row in
                    (Date(timeIntervalSince1970: row["at"]), row["who"], row["action"], row["target"], row["comment"])
                }
            }
        } catch {
            throw Self.problem(error, path: path)
        }
    }

    func write(_ body: @Sendable (Database) throws -> Void) throws(Problem) {
        do {
            try pool.write(body)
        } catch {
            throw Self.problem(error, path: path)
        }
    }

    static func journal(_ db: Database, at time: Date, who: String, action: String, target: String, comment: String) throws {
        try db.execute(
            sql: "INSERT INTO journal (at, who, action, target, comment) VALUES (?, ?, ?, ?, ?)",
            arguments: [time.timeIntervalSince1970, who, action, target, comment]
        )
    }

    private static func historyEntry(_ row: Row) -> AlertSnapshot {
        let labels = decode(row["labels"] as String)
        let ackedAt: Double? = row["acked_at"]
        let firedAt: Double? = row["fired_at"]
        return AlertSnapshot(
            id: row["alert_id"], name: row["name"], severity: AlertSeverity(rawValue: row["severity"]) ?? .warning,
            state: .resolved, node: labels["node"], service: labels["service"], since: Date(timeIntervalSince1970: row["since"]),
            firedAt: firedAt.map(Date.init(timeIntervalSince1970:)), resolvedAt: Date(timeIntervalSince1970: row["resolved_at"]),
            acknowledgedBy: row["acked_by"], acknowledgedAt: ackedAt.map(Date.init(timeIntervalSince1970:)), comment: row["comment"],
            summary: row["summary"], labels: labels
        )
    }

    private static func encode(_ labels: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(labels)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }

    private static func decode(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }
}
