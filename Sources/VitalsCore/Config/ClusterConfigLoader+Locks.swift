import Yams

extension ClusterReader {
    static let lockKeys = [
        "etcd", "prefix", "leader_key", "kind", "holder_pattern", "username", "password",
        "max_waiters", "max_wait", "flap_changes", "flap_window",
    ] + ClusterReader.tlsKeys

    /// One `locks:` entry: `{ etcd: URL or [URL…], prefix: /locks/ }` or `{ etcd: …, leader_key: /k }`.
    func lock(_ item: Node) -> LockConfig? {
        guard let fields = reader.mapping(item, "a lock source", allowed: Self.lockKeys) else { return nil }
        var endpoints: [String] = []
        if let value = fields.value("etcd") {
            if case .scalar(let scalar) = value {
                endpoints = [scalar.string]
                checkEndpoint(scalar.string, at: value)
            } else {
                for (url, node) in fields.stringList("etcd") ?? [] {
                    endpoints.append(url)
                    checkEndpoint(url, at: node)
                }
                if endpoints.isEmpty { reader.error(at: value, "'etcd' in a lock source needs at least one URL") }
            }
        } else {
            fields.missing("etcd")
        }
        let prefix = fields.string("prefix")
        let leaderKey = fields.string("leader_key")
        var target: LockConfig.Target?
        switch (prefix, leaderKey) {
        case (let prefix?, nil):
            target = .prefix(prefix.hasSuffix("/") ? prefix : prefix + "/")
        case (nil, let key?):
            target = .leaderKey(key)
        case (.some, .some):
            reader.error(at: fields.keyNode("leader_key"), "a lock source has either 'prefix' or 'leader_key', not both")
        case (nil, nil):
            reader.error(at: fields.node, "a lock source needs 'prefix' (mutexes and elections) or 'leader_key' (one key naming the leader)")
        }
        if let kind = fields.string("kind") {
            if !["mutex", "election"].contains(kind) {
                reader.error(at: fields.value("kind"), "kind '\(kind)' of a lock source must be mutex or election")
            } else if leaderKey != nil {
                reader.error(at: fields.keyNode("kind"), "'kind' applies to a prefix; a leader key is its own kind")
            }
        }
        let pattern = fields.string("holder_pattern")
        if let pattern, let node = fields.value("holder_pattern") {
            do {
                _ = try LinearRegex(pattern)
            } catch {
                reader.error(at: node, "holder_pattern \"\(pattern)\" is not taken: \(error)")
            }
        }
        let username = fields.string("username")
        let password = fields.string("password")
        if (username == nil) != (password == nil) {
            reader.error(at: fields.node, "a lock source needs both 'username' and 'password', or neither")
        }
        var config = LockConfig(endpoints: endpoints, target: target ?? .prefix("/"), holderPattern: pattern, username: username, password: password)
        config.kind = fields.string("kind") == "election" ? .election : (leaderKey != nil ? .leaderKey : .mutex)
        config.tls = tls(
            fields, what: "a lock source", usesTLS: endpoints.contains { HTTPTarget($0)?.tls == true }, appliesTo: "lock sources with https:// endpoints"
        )
        if let value = fields.int("max_waiters", in: 0...1_000_000) { config.maxWaiters = value }
        if let value = fields.duration("max_wait") { config.maxWait = value }
        if let value = fields.int("flap_changes", in: 1...1_000_000) { config.flapChanges = value }
        if let value = fields.duration("flap_window") { config.flapWindow = value }
        guard target != nil, !endpoints.isEmpty else { return nil }
        return config
    }

    private func checkEndpoint(_ url: String, at node: Node) {
        if HTTPTarget(url) == nil {
            reader.error(at: node, "etcd endpoint '\(url)' is not an http:// or https:// URL with a host")
        }
    }

    /// One `simulation.locks` entry: `{ mutex: NAME, contenders: [nodes…], ttl: 10s }` (or
    /// `election:` or `leader_key:`).
    func simulatedLock(_ item: Node, nodes: [NodeConfig]) -> SimulatedLock? {
        let kinds = SimulatedLock.Kind.allCases.map(\.rawValue)
        guard let fields = reader.mapping(item, "a simulated lock", allowed: kinds + ["contenders", "ttl"]) else { return nil }
        let given = kinds.filter(fields.has)
        guard given.count == 1, let kindName = given.first, let kind = SimulatedLock.Kind(rawValue: kindName) else {
            reader.error(at: fields.node, "a simulated lock names exactly one of \(kinds.joined(separator: ", ")) (its name)")
            return nil
        }
        guard let name = fields.string(kindName) else { return nil }
        let known = nodes.map(\.name)
        var contenders: [String] = []
        for (node, position) in fields.stringList("contenders") ?? [] {
            if known.contains(node) {
                contenders.append(node)
            } else {
                var message = "simulated lock '\(name)' names node '\(node)', which the file does not define"
                if let guess = didYouMean(node, among: known) { message += "; did you mean '\(guess)'?" }
                reader.error(at: position, message)
            }
        }
        if !fields.has("contenders") { fields.missing("contenders") }
        let ttl = fields.duration("ttl") ?? .seconds(10)
        if ttl < .seconds(1) { reader.error(at: fields.value("ttl"), "the ttl of simulated lock '\(name)' must be at least 1s (etcd leases count whole seconds)") }
        return SimulatedLock(kind: kind, name: name, contenders: contenders, ttl: ttl)
    }
}
