import Foundation
import GRDB
import VitalsCore

extension AlertStateStore {
    /// A registration as the state file keeps it: the body it came with, who sent it and when.
    public struct StoredRegistration: Sendable, Equatable {
        public var id: String
        public var body: String
        public var by: String
        public var at: Date

        public init(id: String, body: String, by: String, at: Date) {
            self.id = id
            self.body = body
            self.by = by
            self.at = at
        }
    }

    /// Every registration kept, oldest first.
    public func registrations() throws(Problem) -> [StoredRegistration] {
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT id, body, by, at FROM registration ORDER BY at, id").map { row in
                    StoredRegistration(id: row["id"], body: row["body"], by: row["by"], at: Date(timeIntervalSince1970: row["at"]))
                }
            }
        } catch {
            throw Self.problem(error, path: path)
        }
    }

    /// Keeps `saved` (replacing registrations with the same ID) and forgets `removed` (with why),
    /// journaling each, in one transaction.
    public func update(registrations saved: [StoredRegistration], removed: [(id: String, by: String, why: String)], at time: Date) throws(Problem) {
        guard !saved.isEmpty || !removed.isEmpty else { return }
        try write { db in
            for registration in saved {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO registration (id, body, by, at) VALUES (?, ?, ?, ?)",
                    arguments: [registration.id, registration.body, registration.by, registration.at.timeIntervalSince1970]
                )
                try Self.journal(db, at: registration.at, who: registration.by, action: "register", target: registration.id, comment: "")
            }
            for gone in removed {
                try db.execute(sql: "DELETE FROM registration WHERE id = ?", arguments: [gone.id])
                try Self.journal(db, at: time, who: gone.by, action: "deregister", target: gone.id, comment: gone.why)
            }
        }
    }
}
