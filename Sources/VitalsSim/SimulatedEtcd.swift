import Foundation
import VitalsCore

/// A small etcd, enough for the demo's locks: a revisioned key space with leases, served through
/// the same v3 JSON gateway calls Vitals makes (`/v3/kv/range`, `/v3/lease/timetolive`,
/// `/v3/watch`). Simulated nodes contend for the file's `simulation.locks` as real clients
/// would: each live contender keeps a lease renewed and a key under the lock; a contender whose
/// node dies stops renewing, and its key goes when its lease expires.
struct SimulatedEtcd: Sendable {
    struct KeyValue: Sendable, Equatable {
        var key: String
        var value: String
        var createRevision: Int64
        var modRevision: Int64
        var lease: Int64
    }

    struct Lease: Sendable, Equatable {
        var granted: Int64
        var expires: Date
    }

    struct Event: Sendable, Equatable {
        var revision: Int64
        var deleted: Bool
        var kv: KeyValue
    }

    /// Events kept for watches (older ones are compacted away).
    static let eventsKept = 10_000

    let locks: [SimulatedLock]
    private(set) var revision: Int64 = 1
    private(set) var keys: [String: KeyValue] = [:]
    private(set) var leases: [Int64: Lease] = [:]
    private(set) var events: [Event] = []
    /// Each contender's lease, by lock index and node.
    private var held: [Int: [String: Int64]] = [:]
    private var nextLease: Int64

    init(locks: [SimulatedLock], seed: Int64 = 0x694d_7a1b_2c3d_0000) {
        self.locks = locks
        nextLease = seed
    }

    /// Moves the world to `now`: live contenders renew their leases and join the locks they are
    /// not in; leases not renewed in time expire with their keys.
    mutating func advance(to now: Date, isAlive: (String) -> Bool) {
        for (id, lease) in leases where lease.expires <= now {
            revoke(id)
        }
        for (index, lock) in locks.enumerated() {
            for node in lock.contenders where isAlive(node) {
                if let lease = held[index]?[node], leases[lease] != nil {
                    leases[lease]?.expires = now.addingTimeInterval(lock.ttl.seconds)
                    continue
                }
                join(index, node: node, now: now)
            }
        }
    }

    private mutating func join(_ index: Int, node: String, now: Date) {
        let lock = locks[index]
        if lock.kind == .leaderKey, let current = keys[lock.name], leases[current.lease] != nil {
            // Someone leads: stand by until the key is free.
            return
        }
        nextLease += 0x1_0000 + Int64(index) * 7 + Int64(node.utf8.count)
        let lease = nextLease
        leases[lease] = Lease(granted: Int64(lock.ttl.seconds), expires: now.addingTimeInterval(lock.ttl.seconds))
        held[index, default: [:]][node] = lease
        let key = lock.kind == .leaderKey ? lock.name : "\(lock.name)/\(String(lease, radix: 16))"
        put(key, value: node, lease: lease)
    }

    private mutating func put(_ key: String, value: String, lease: Int64) {
        revision += 1
        let kv = KeyValue(key: key, value: value, createRevision: keys[key]?.createRevision ?? revision, modRevision: revision, lease: lease)
        keys[key] = kv
        record(Event(revision: revision, deleted: false, kv: kv))
    }

    private mutating func revoke(_ lease: Int64) {
        leases[lease] = nil
        for (index, nodes) in held { held[index] = nodes.filter { $0.value != lease } }
        for (key, kv) in keys.sorted(by: { $0.value.createRevision < $1.value.createRevision }) where kv.lease == lease {
            revision += 1
            keys[key] = nil
            var gone = kv
            gone.modRevision = revision
            record(Event(revision: revision, deleted: true, kv: gone))
        }
    }

    private mutating func record(_ event: Event) {
        events.append(event)
        if events.count > Self.eventsKept { events.removeFirst(events.count - Self.eventsKept) }
    }

    /// The oldest revision a watch may start from.
    var compactedBefore: Int64 { events.first.map { $0.revision } ?? revision + 1 }

    // MARK: The JSON gateway

    /// Answers a POST to `path` with `body`, as etcd's gateway would: status and JSON.
    func respond(path: String, body: [UInt8], now: Date) -> (status: Int, json: String) {
        let request = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        switch path {
        case "/v3/kv/range":
            let key = Self.text(request["key"])
            let end = request["range_end"].map { Self.text($0) }
            let limit = Int(request["limit"] as? String ?? "") ?? 0
            var found = keys.values.filter { kv in end.map { kv.key >= key && ($0 == "\0" || kv.key < $0) } ?? (kv.key == key) }
                .sorted { $0.key < $1.key }
            let more = limit > 0 && found.count > limit
            if more { found = Array(found.prefix(limit)) }
            var answer: [String: Any] = ["header": header, "count": String(found.count)]
            if !found.isEmpty { answer["kvs"] = found.map(Self.json) }
            if more { answer["more"] = true }
            return (200, Self.encode(answer))
        case "/v3/lease/timetolive":
            let id = Int64(request["ID"] as? String ?? "") ?? 0
            guard let lease = leases[id] else { return (200, Self.encode(["header": header, "ID": String(id), "TTL": "-1"])) }
            let left = max(0, Int64(lease.expires.timeIntervalSince(now).rounded(.down)))
            return (200, Self.encode(["header": header, "ID": String(id), "TTL": String(left), "grantedTTL": String(lease.granted)]))
        default:
            return (404, Self.encode(["error": "Not Found", "code": 5, "message": "Not Found"]))
        }
    }

    /// The messages of a watch on keys in [key, end) after `revision`: the events since, one
    /// message per revision, as lines of JSON.
    func watchLines(key: String, end: String?, after revision: Int64) -> [String] {
        events.filter { event in
            event.revision > revision && (end.map { e in event.kv.key >= key && (e == "\0" || event.kv.key < e) } ?? (event.kv.key == key))
        }
            .map { event in
                var entry: [String: Any] = ["kv": Self.json(event.kv)]
                if event.deleted { entry["type"] = "DELETE" }
                var header = self.header
                header["revision"] = String(event.revision)
                return Self.encode(["result": ["header": header, "events": [entry]]])
            }
    }

    var header: [String: Any] { ["cluster_id": "1", "member_id": "1", "revision": String(revision), "raft_term": "2"] }

    static func json(_ kv: KeyValue) -> [String: Any] {
        [
            "key": Data(kv.key.utf8).base64EncodedString(), "value": Data(kv.value.utf8).base64EncodedString(),
            "create_revision": String(kv.createRevision), "mod_revision": String(kv.modRevision), "version": "1",
            "lease": String(kv.lease),
        ]
    }

    static func text(_ value: Any?) -> String {
        guard let encoded = value as? String, let data = Data(base64Encoded: encoded) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    static func encode(_ object: Any) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
