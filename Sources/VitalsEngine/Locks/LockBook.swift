import Foundation
import VitalsCore

/// What Vitals knows about the locks of one source (a prefix or a leader key), as a pure state
/// machine fed by ranges, watch events and lease lookups: the keys, when each was first seen,
/// every holder change, and how leases are renewed.
struct LockBook: Sendable {
    struct Holding: Sendable, Equatable {
        var key: [UInt8]
        var since: Date
        var exact: Bool
    }

    struct LeaseReading: Sendable, Equatable {
        var ttl: Int64
        var granted: Int64
        var at: Date
    }

    let config: LockConfig
    private let prefix: [UInt8]
    private(set) var keys: [[UInt8]: EtcdKeyValue] = [:]
    private(set) var revision: Int64 = 0
    private var firstSeen: [[UInt8]: Date] = [:]
    private(set) var holders: [String: Holding] = [:]
    private var changes: [String: [Date]] = [:]
    private(set) var leases: [Int64: LeaseReading] = [:]
    /// The least time left on a lease (as a share of its TTL) seen just before it was renewed.
    private var renewalSlack: [Int64: Double] = [:]
    private var synced = false
    var mode = "starting"
    var error: String?

    init(config: LockConfig) {
        self.config = config
        prefix = Array(config.key.utf8)
    }

    /// Takes a whole range read at `revision`: keys that are gone were released.
    mutating func replace(_ kvs: [EtcdKeyValue], revision: Int64, at now: Date) {
        var next: [[UInt8]: EtcdKeyValue] = [:]
        for kv in kvs { next[kv.key] = kv }
        keys = next
        firstSeen = firstSeen.filter { next[$0.key] != nil }
        for key in next.keys where firstSeen[key] == nil { firstSeen[key] = now }
        self.revision = max(self.revision, revision)
        error = nil
        noteHolders(at: now)
        synced = true
    }

    /// Takes the events of one watch message, in order.
    mutating func apply(_ message: EtcdWatch.Message, at now: Date) {
        for event in message.events {
            switch event.type {
            case .put:
                keys[event.kv.key] = event.kv
                if firstSeen[event.kv.key] == nil { firstSeen[event.kv.key] = now }
            case .delete:
                keys[event.kv.key] = nil
                firstSeen[event.kv.key] = nil
            }
        }
        revision = max(revision, message.revision)
        error = nil
        noteHolders(at: now)
    }

    /// Records a lookup of `lease`; a TTL that went up means the lease was renewed.
    mutating func recordLease(_ lease: Int64, ttl: Int64, granted: Int64, at now: Date) {
        if let previous = leases[lease], granted > 0, ttl > remaining(previous, at: now) {
            let slack = Double(remaining(previous, at: now)) / Double(granted)
            renewalSlack[lease] = min(renewalSlack[lease] ?? 1, slack)
        }
        leases[lease] = LeaseReading(ttl: ttl, granted: granted, at: now)
    }

    /// Leases whose time left is worth asking etcd for: every holder's.
    var leasesToRead: [Int64] {
        holders.values.compactMap { keys[$0.key]?.lease }.filter { $0 != 0 }
    }

    /// The name of the lock `key` belongs to: for a prefix, the key without its last part
    /// (`/locks/orders-migration/694d…` → `/locks/orders-migration`).
    func lockName(of key: [UInt8]) -> String {
        if case .leaderKey = config.target { return config.key }
        guard let slash = key.lastIndex(of: UInt8(ascii: "/")), slash >= prefix.count else { return EtcdKeyValue.text(key) }
        return EtcdKeyValue.text(Array(key[..<slash]))
    }

    /// Keys of each lock in queue order (lowest create revision first: the holder).
    var queues: [String: [EtcdKeyValue]] {
        var result: [String: [EtcdKeyValue]] = [:]
        for kv in keys.values { result[lockName(of: kv.key), default: []].append(kv) }
        return result.mapValues { queue in
            queue.sorted { a, b in a.createRevision != b.createRevision ? a.createRevision < b.createRevision : a.key.lexicographicallyPrecedes(b.key) }
        }
    }

    private mutating func noteHolders(at now: Date) {
        let queues = self.queues
        for (name, queue) in queues {
            guard let head = queue.first else { continue }
            if let current = holders[name], current.key == head.key { continue }
            // The first sight of a hold started before Vitals looked; later ones start now.
            let exact = synced
            if holders[name] != nil || synced { changes[name, default: []].append(now) }
            holders[name] = Holding(key: head.key, since: exact ? now : (firstSeen[head.key] ?? now), exact: exact)
        }
        for name in holders.keys where queues[name] == nil {
            holders[name] = nil
            changes[name, default: []].append(now)
        }
        let window = max(3600, config.flapWindow.seconds)
        changes = changes.mapValues { $0.filter { now.timeIntervalSince($0) <= window } }.filter { !$0.value.isEmpty }
    }

    private func remaining(_ reading: LeaseReading, at now: Date) -> Int64 {
        reading.ttl < 0 ? -1 : max(0, reading.ttl - Int64(now.timeIntervalSince(reading.at)))
    }

    /// Holder changes of `lock` within the last `window` seconds.
    func changeCount(_ lock: String, within window: TimeInterval, at now: Date) -> Int {
        (changes[lock] ?? []).filter { now.timeIntervalSince($0) <= window }.count
    }

    /// The locks as facts (status and diagnoses are added later, with the nodes' health).
    func locks(at now: Date, matcher: HolderMatcher) -> [LockSnapshot] {
        var names = Set(queues.keys)
        names.formUnion(holders.keys)
        if case .leaderKey = config.target { names.insert(config.key) }
        // A source never read says so under its own name, rather than showing nothing.
        if names.isEmpty, error != nil || !synced { names.insert(config.key) }
        return names.sorted().map { name in
            let queue = queues[name] ?? []
            // Nothing read yet is nothing known: unknown with the reason, never passing.
            let endpoints = config.endpoints.joined(separator: ", ")
            let error = error ?? (synced ? nil : "not read yet: etcd (\(endpoints)) has not answered")
            var lock = LockSnapshot(name: name, kind: config.kind, source: mode, error: error)
            if let head = queue.first {
                let node = matcher.node(value: head.valueText, key: head.keyText)
                lock.holderNode = node
                lock.holder = node ?? (head.value.isEmpty ? "lease \(String(head.lease, radix: 16))" : String(head.valueText.prefix(60)))
                lock.holderKey = head.keyText
                lock.lease = head.lease == 0 ? nil : String(head.lease, radix: 16)
                if let reading = leases[head.lease] {
                    lock.leaseTTLSeconds = Int(remaining(reading, at: now))
                    lock.grantedTTLSeconds = Int(reading.granted)
                }
                lock.heldSince = holders[name]?.since
                lock.heldSinceExact = holders[name]?.exact ?? false
            }
            lock.queue = queue.dropFirst().map { kv in
                LockSnapshot.Waiter(
                    key: kv.keyText, value: String(kv.valueText.prefix(60)), node: matcher.node(value: kv.valueText, key: kv.keyText),
                    since: firstSeen[kv.key] ?? now
                )
            }
            lock.changesPerHour = Double(changeCount(name, within: 3600, at: now))
            return lock
        }
    }

    /// The least share of its TTL a holder's lease had left when renewed, if seen.
    func renewalSlack(ofLease lease: Int64) -> Double? { renewalSlack[lease] }
}

/// Finds the registered node a lock's holder is, from the key's value (or key).
struct HolderMatcher: Sendable {
    private let names: [String]
    private let addresses: [String: String]
    private let pattern: LinearRegex?

    init(nodes: [NodeConfig], pattern: String?) {
        // Longest names first, so `orders-10` is not taken for `orders-1`.
        names = nodes.map(\.name).sorted { $0.count > $1.count }
        addresses = Dictionary(nodes.map { ($0.address, $0.name) }, uniquingKeysWith: { a, _ in a })
        self.pattern = pattern.flatMap { try? LinearRegex($0) }
    }

    func node(value: String, key: String) -> String? {
        if let pattern {
            guard let found = pattern.firstCapture(in: value) else { return nil }
            return exact(found)
        }
        if let found = exact(value) { return found }
        if let found = names.first(where: { value.contains($0) }) { return found }
        if let found = addresses.first(where: { value.contains($0.key) })?.value { return found }
        return names.first { key.contains("/\($0)") }
    }

    private func exact(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if names.contains(trimmed) { return trimmed }
        return addresses[trimmed]
    }
}

