import Foundation

/// A distributed lock, election or leader key: who holds it, who waits, and what is wrong.
public struct LockSnapshot: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case mutex, election
        case leaderKey = "leader_key"
    }

    /// A contender that does not hold the lock (yet), in queue order.
    public struct Waiter: Sendable, Equatable, Codable {
        public var key: String
        public var value: String
        public var node: String?
        /// When Vitals first saw it waiting.
        public var since: Date

        public init(key: String, value: String, node: String?, since: Date) {
            self.key = key
            self.value = value
            self.node = node
            self.since = since
        }
    }

    /// The lock's name (`/locks/orders-migration`) or leader key.
    public var name: String
    public var kind: Kind
    /// Who holds it, in words: the node, else the key's value, else its lease.
    public var holder: String?
    /// The registered node the holder was matched to.
    public var holderNode: String?
    public var holderKey: String?
    /// The holder's lease id in hex, as etcd writes it in keys.
    public var lease: String?
    /// Seconds left on the holder's lease.
    public var leaseTTLSeconds: Int?
    public var grantedTTLSeconds: Int?
    /// When the holder took it: exact when Vitals saw it happen, else when Vitals first saw it.
    public var heldSince: Date?
    /// Whether `heldSince` is when the hold began (false: it began before Vitals was watching).
    public var heldSinceExact: Bool
    public var queue: [Waiter]
    /// Holder changes seen over the last hour, scaled to an hour while Vitals has watched less.
    public var changesPerHour: Double
    public var status: Status
    /// Why the status is not passing, one line each (the stale holder first).
    public var diagnoses: [String]
    /// Whether the holder's node is critical while its lease lives on.
    public var isStale = false
    /// How the lock is watched: `watch` or `polling`, and the endpoint answering.
    public var source: String
    /// Why etcd cannot be read, when it cannot (the status is then `unknown`).
    public var error: String?

    public init(
        name: String, kind: Kind, holder: String? = nil, holderNode: String? = nil, holderKey: String? = nil, lease: String? = nil,
        leaseTTLSeconds: Int? = nil, grantedTTLSeconds: Int? = nil, heldSince: Date? = nil, heldSinceExact: Bool = false,
        queue: [Waiter] = [], changesPerHour: Double = 0, status: Status = .unknown, diagnoses: [String] = [], isStale: Bool = false,
        source: String = "", error: String? = nil
    ) {
        self.isStale = isStale
        self.name = name
        self.kind = kind
        self.holder = holder
        self.holderNode = holderNode
        self.holderKey = holderKey
        self.lease = lease
        self.leaseTTLSeconds = leaseTTLSeconds
        self.grantedTTLSeconds = grantedTTLSeconds
        self.heldSince = heldSince
        self.heldSinceExact = heldSinceExact
        self.queue = queue
        self.changesPerHour = changesPerHour
        self.status = status
        self.diagnoses = diagnoses
        self.source = source
        self.error = error
    }

    /// How many contenders wait.
    public var waiters: Int { queue.count }

    enum CodingKeys: String, CodingKey {
        case name, kind, holder, lease, queue, status, diagnoses, source, error, waiters
        case isStale = "stale"
        case holderNode = "holder_node"
        case holderKey = "holder_key"
        case leaseTTLSeconds = "lease_ttl_s"
        case grantedTTLSeconds = "granted_ttl_s"
        case heldSince = "held_since"
        case heldSinceExact = "held_since_exact"
        case changesPerHour = "changes_per_hour"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(Kind.self, forKey: .kind)
        holder = try container.decodeIfPresent(String.self, forKey: .holder)
        holderNode = try container.decodeIfPresent(String.self, forKey: .holderNode)
        holderKey = try container.decodeIfPresent(String.self, forKey: .holderKey)
        lease = try container.decodeIfPresent(String.self, forKey: .lease)
        leaseTTLSeconds = try container.decodeIfPresent(Int.self, forKey: .leaseTTLSeconds)
        grantedTTLSeconds = try container.decodeIfPresent(Int.self, forKey: .grantedTTLSeconds)
        heldSince = try container.decodeIfPresent(Date.self, forKey: .heldSince)
        heldSinceExact = try container.decode(Bool.self, forKey: .heldSinceExact)
        queue = try container.decode([Waiter].self, forKey: .queue)
        changesPerHour = try container.decode(Double.self, forKey: .changesPerHour)
        status = try container.decode(Status.self, forKey: .status)
        diagnoses = try container.decode([String].self, forKey: .diagnoses)
        isStale = try container.decode(Bool.self, forKey: .isStale)
        source = try container.decode(String.self, forKey: .source)
        error = try container.decodeIfPresent(String.self, forKey: .error)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(kind, forKey: .kind)
        try container.encode(holder, forKey: .holder)
        try container.encode(holderNode, forKey: .holderNode)
        try container.encodeIfPresent(holderKey, forKey: .holderKey)
        try container.encodeIfPresent(lease, forKey: .lease)
        try container.encode(leaseTTLSeconds, forKey: .leaseTTLSeconds)
        try container.encodeIfPresent(grantedTTLSeconds, forKey: .grantedTTLSeconds)
        try container.encodeIfPresent(heldSince, forKey: .heldSince)
        try container.encode(heldSinceExact, forKey: .heldSinceExact)
        try container.encode(queue.count, forKey: .waiters)
        try container.encode(queue, forKey: .queue)
        try container.encode(changesPerHour.isFinite ? changesPerHour : 0, forKey: .changesPerHour)
        try container.encode(status, forKey: .status)
        try container.encode(diagnoses, forKey: .diagnoses)
        try container.encode(isStale, forKey: .isStale)
        try container.encode(source, forKey: .source)
        try container.encodeIfPresent(error, forKey: .error)
    }
}
