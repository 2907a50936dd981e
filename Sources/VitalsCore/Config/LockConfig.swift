/// Where to watch distributed locks: an etcd cluster and either a prefix under which mutexes
/// and elections live (`PREFIX/NAME/<lease-id-hex>`, as `etcdctl lock`, `etcdctl elect` and Go's
/// `concurrency` package lay them out) or one leader key whose value names the leader.
public struct LockConfig: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        /// Every lock and election under the prefix; each `NAME` is one lock.
        case prefix(String)
        /// One key naming the leader (Patroni and the like).
        case leaderKey(String)
    }

    /// Client URLs of the etcd cluster (its JSON gateway); tried in turn when one fails.
    public var endpoints: [String]
    public var target: Target
    /// What the keys under a prefix are: mutexes (`etcdctl lock`) or elections (`etcdctl elect`).
    public var kind: LockSnapshot.Kind = .mutex
    /// A regular expression whose first capture group (or whole match) names the holder's node in
    /// a key's value; without it the value itself, or a node name or address it contains, is used.
    public var holderPattern: String?
    public var username: String?
    public var password: String?
    /// How `https://` endpoints are trusted, and the client certificate etcd may ask for.
    public var tls = TLSOptions()
    /// More waiters than this is a warning.
    public var maxWaiters: Int
    /// A waiter waiting longer than this is a warning.
    public var maxWait: Duration
    /// More holder changes than `flapChanges` within `flapWindow` is flapping.
    public var flapChanges: Int
    public var flapWindow: Duration

    public init(
        endpoints: [String], target: Target, holderPattern: String? = nil, username: String? = nil, password: String? = nil,
        maxWaiters: Int = 5, maxWait: Duration = .seconds(300), flapChanges: Int = 5, flapWindow: Duration = .seconds(600)
    ) {
        self.endpoints = endpoints
        self.target = target
        self.holderPattern = holderPattern
        self.username = username
        self.password = password
        self.maxWaiters = maxWaiters
        self.maxWait = maxWait
        self.flapChanges = flapChanges
        self.flapWindow = flapWindow
    }

    /// The prefix or key, as written.
    public var key: String {
        switch target {
        case .prefix(let prefix): prefix
        case .leaderKey(let key): key
        }
    }
}

/// A lock the simulator plays: simulated nodes contend for it through the simulated etcd.
public struct SimulatedLock: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case mutex, election
        case leaderKey = "leader_key"
    }

    public var kind: Kind
    /// The lock's full name: `/locks/orders-migration`, `/election/inventory`, `/service/pg/leader`.
    public var name: String
    /// Nodes that want it, in the order they first ask.
    public var contenders: [String]
    /// The lease TTL the contenders use.
    public var ttl: Duration

    public init(kind: Kind, name: String, contenders: [String], ttl: Duration = .seconds(10)) {
        self.kind = kind
        self.name = name
        self.contenders = contenders
        self.ttl = ttl
    }
}
