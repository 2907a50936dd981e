import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import VitalsCore

/// Serves the simulated nodes of a cluster file on loopback: each node listens on its own
/// address (127.0.x.y) on every port the file names for it, and answers `/health`, `/metrics`
/// (Prometheus text), `/logs` and `/api/ping` according to its scenario and injected faults.
public final class Simulator: Sendable {
    /// One simulated node: where it listens and what it runs.
    public struct Endpoint: Sendable, Hashable {
        public var node: String
        public var host: String
        public var port: Int
    }

    private struct State {
        var injected: [String: Fault] = [:]
        var activity: [String: NodeActivity] = [:]
        var channels: [String: [any Channel]] = [:]
        /// Requests answered, by node and path (without the query).
        var requests: [String: Int] = [:]
        var etcd: SimulatedEtcd
        /// Instances started after the file's (they register themselves), by name.
        var added: [String: NodeConfig] = [:]
    }

    public let config: ClusterConfig
    public let scenario: Scenario
    /// The nodes served, by name, with the ports each listens on.
    public let endpoints: [String: [Endpoint]]
    private let servicesByNode: [String: [String]]
    private let group: any EventLoopGroup
    private let started: ContinuousClock.Instant
    private let state: Mutex<State>
    private let accepted = Atomic<Int>(0)

    /// - Parameters:
    ///   - config: the cluster file; only the nodes its `simulation` block names are served.
    ///   - scenario: overrides the file's scenario.
    public init(config: ClusterConfig, scenario: Scenario? = nil, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.config = config
        let simulation = config.simulation ?? SimulationConfig()
        self.scenario = scenario ?? Scenario.named(simulation.scenario) ?? .steady
        self.group = group
        self.started = .now
        var endpoints: [String: [Endpoint]] = [:]
        var services: [String: [String]] = [:]
        var activity: [String: NodeActivity] = [:]
        let now = Date()
        for node in config.nodes where simulation.simulates(node.name) {
            endpoints[node.name] = Self.ports(of: node).sorted().map { Endpoint(node: node.name, host: node.address, port: $0) }
            services[node.name] = node.services.map(\.name)
            activity[node.name] = NodeActivity(name: node.name, service: node.services.first?.name ?? node.name, start: now)
        }
        self.endpoints = endpoints
        self.servicesByNode = services
        self.state = Mutex(State(activity: activity, etcd: SimulatedEtcd(locks: simulation.locks)))
    }

    /// Every port the file names on the node's own address: service ports and the targets of
    /// its checks, metrics and logs.
    static func ports(of node: NodeConfig) -> Set<Int> {
        var ports = Set(node.services.compactMap(\.port))
        let checks = node.checks + node.services.flatMap(\.checks)
        for check in checks {
            switch check.target {
            case .http(let url):
                if let target = HTTPTarget(url), target.host == node.address { ports.insert(target.port) }
            case .tcp(let host, let port):
                if host == node.address { ports.insert(port) }
            case .grpc(let host, let port, _, false):
                if host == node.address { ports.insert(port) }
            case .exec, .dns, .ttl, .grpc:
                break
            }
        }
        for url in [node.metricsURL].compactMap({ $0 }) + node.logURLs {
            if let target = HTTPTarget(url), target.host == node.address { ports.insert(target.port) }
        }
        return ports
    }

    /// Opens every node's ports.
    /// - Throws: `SimulatorError` naming the first address that could not be bound.
    public func start() async throws {
        let initial = (config.simulation?.faults ?? [:]).compactMapValues(Fault.init(rawValue:))
        state.withLock { state in
            for (node, fault) in initial where endpoints[node] != nil { state.injected[node] = fault }
        }
        for node in endpoints.keys.sorted() where injectedFault(of: node) != .down {
            try await bind(node)
        }
    }

    /// The ports of `node`'s address that grpc checks (without TLS) ask.
    static func grpcPorts(of node: NodeConfig?) -> Set<Int> {
        guard let node else { return [] }
        var ports = Set<Int>()
        for check in node.checks + node.services.flatMap(\.checks) {
            if case .grpc(let host, let port, _, false) = check.target, host == node.address { ports.insert(port) }
        }
        return ports
    }

    /// Whether `other` would serve the same nodes on the same ports with the same services and
    /// simulation block: a reload that changes none of these keeps the running simulator (its
    /// scenario clock and injected faults).
    public func servesTheSame(as other: Simulator) -> Bool {
        endpoints == other.endpoints && servicesByNode == other.servicesByNode && config.simulation == other.config.simulation
    }

    /// Closes every port.
    public func stop() async {
        let all = state.withLock { state in
            let all = state.channels.values.flatMap { $0 }
            state.channels = [:]
            return all
        }
        for channel in all { try? await channel.close() }
    }

    /// Connections accepted so far, on every node.
    public var acceptedConnections: Int { accepted.load(ordering: .relaxed) }

    /// Time since the simulation began.
    public var elapsed: Duration { ContinuousClock.now - started }

    /// The fault a person injected into `node`, if any.
    public func injectedFault(of node: String) -> Fault? { state.withLock { $0.injected[node] } }

    /// Every injected fault, by node.
    public var injectedFaults: [String: Fault] { state.withLock { $0.injected } }

    /// Injects `fault` into `node` (replacing any other), closing its ports for `down`.
    public func inject(_ fault: Fault, into node: String) async throws {
        guard serves(node) else { throw SimulatorError.unknownNode(node) }
        let previous = state.withLock { state in
            let previous = state.injected[node]
            state.injected[node] = fault
            return previous
        }
        if fault == .down { await unbind(node) } else if previous == .down { try await bind(node) }
    }

    /// Removes any injected fault from `node`; the scenario goes on.
    public func heal(_ node: String) async throws {
        guard serves(node) else { throw SimulatorError.unknownNode(node) }
        let previous = state.withLock { $0.injected.removeValue(forKey: node) }
        if previous == .down { try await bind(node) }
    }

    /// How `node` behaves now.
    public func condition(of node: String) -> SimulatedCondition {
        let elapsed = self.elapsed
        if let fault = injectedFault(of: node) { return .injected(fault, elapsed: elapsed) }
        let services = services(of: node)
        return Self.underTraffic(scenario.condition(node: node, services: services, elapsed: elapsed), share: trafficShare(services, elapsed: elapsed))
    }

    /// This instance's share of its service's traffic, 1 as usual: the scenario's multiple times
    /// the instances the file has, over the instances serving it now (added ones included).
    func trafficShare(_ services: [String], elapsed: Duration) -> Double {
        guard let service = services.first else { return 1 }
        let multiple = scenario.traffic(of: service, elapsed: elapsed)
        // Usual: the file's instances and those the demo registers at its start.
        let usual = servicesByNode.values.filter { $0.contains(service) }.count + (config.simulation?.register ?? []).filter { $0 == service }.count
        let serving = usual + state.withLock { $0.added.values.filter { $0.services.contains { $0.name == service } }.count }
        guard usual > 0, serving > 0 else { return multiple }
        return multiple * Double(usual) / Double(serving)
    }

    /// More work than usual costs CPU and, past 1.3×, latency; less saves CPU.
    static func underTraffic(_ condition: SimulatedCondition, share: Double) -> SimulatedCondition {
        guard abs(share - 1) > 0.01 else { return condition }
        var result = condition
        result.traffic = share
        result.extraLoad = max(-0.15, condition.extraLoad + 0.4 * (share - 1))
        if share > 1.3 {
            result.extraLatency = max(condition.extraLatency, .milliseconds(Int64((share - 1.3) * 250)))
            result.cause = result.cause ?? "scenario: \(String(format: "%.1f", share))× the usual traffic"
        }
        return result
    }

    /// Whether `node` answers at all now (not hung, not down).
    func isServing(_ node: String) -> Bool {
        switch condition(of: node).health {
        case .down, .silent: false
        case .ok, .degraded, .failing: true
        }
    }

    /// Whether `node` serves the simulated etcd (it runs a service called `etcd`).
    func servesEtcd(_ node: String) -> Bool { servicesByNode[node]?.contains("etcd") == true }

    /// Whether `node` is one of the file's simulated nodes or an instance added since.
    public func serves(_ node: String) -> Bool { endpoints[node] != nil || state.withLock { $0.added[node] != nil } }

    private func services(of node: String) -> [String] {
        servicesByNode[node] ?? state.withLock { $0.added[node]?.services.map(\.name) } ?? []
    }

    /// Instances added since the start, by name.
    public var addedInstances: [String: NodeConfig] { state.withLock { $0.added } }

    /// Starts serving one more instance (not in the file: it registers itself through the API),
    /// on `node`'s address and the ports its checks, metrics and logs name.
    /// - Throws: `SimulatorError` when the name is taken or a port cannot be bound.
    public func addInstance(_ node: NodeConfig) async throws {
        let taken = state.withLock { state -> Bool in
            guard endpoints[node.name] == nil, state.added[node.name] == nil else { return true }
            state.added[node.name] = node
            state.activity[node.name] = NodeActivity(name: node.name, service: node.services.first?.name ?? node.name, start: Date())
            return false
        }
        if taken { throw SimulatorError.cannotListen(node: node.name, address: node.address, reason: "a simulated node has that name already") }
        do {
            try await bind(node.name)
        } catch {
            state.withLock { $0.added[node.name] = nil }
            throw error
        }
    }

    /// Stops serving an instance added with `addInstance`.
    public func removeInstance(_ name: String) async {
        guard state.withLock({ $0.added.removeValue(forKey: name) }) != nil else { return }
        await unbind(name)
        state.withLock { state in
            state.activity[name] = nil
            state.injected[name] = nil
        }
    }

    /// The simulated etcd's answer to a gateway call, after bringing its locks up to date.
    func etcdAnswer(path: String, body: [UInt8]) -> (status: Int, json: String) {
        let now = Date()
        return state.withLock { state in
            state.etcd.advance(to: now) { node in self.isAliveUnlocked(node, injected: state.injected) }
            return state.etcd.respond(path: path, body: body, now: now)
        }
    }

    /// Watch lines after `revision` (and the newest revision), or nil when `revision` was compacted.
    func etcdWatch(key: String, end: String?, after revision: Int64) -> (lines: [String], revision: Int64, compacted: Int64?) {
        let now = Date()
        return state.withLock { state in
            state.etcd.advance(to: now) { node in self.isAliveUnlocked(node, injected: state.injected) }
            if revision + 1 < state.etcd.compactedBefore, revision < state.etcd.revision {
                return ([], state.etcd.revision, state.etcd.compactedBefore)
            }
            return (state.etcd.watchLines(key: key, end: end, after: revision), state.etcd.revision, nil)
        }
    }

    /// `isAlive` for use while the state lock is held.
    private func isAliveUnlocked(_ node: String, injected: [String: Fault]) -> Bool {
        guard endpoints[node] != nil else { return false }
        let condition = injected[node].map { SimulatedCondition.injected($0, elapsed: elapsed) }
            ?? scenario.condition(node: node, services: servicesByNode[node] ?? [], elapsed: elapsed)
        switch condition.health {
        case .down, .silent: return false
        case .ok, .degraded, .failing: return true
        }
    }

    private func bind(_ node: String) async throws {
        var opened: [any Channel] = []
        let added = state.withLock { $0.added[node] }
        let grpcPorts = Self.grpcPorts(of: added ?? config.nodes.first { $0.name == node })
        let endpoints = self.endpoints[node] ?? added.map { node in Self.ports(of: node).sorted().map { Endpoint(node: node.name, host: node.address, port: $0) } } ?? []
        for endpoint in endpoints {
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 128)
                .childChannelInitializer { [self] channel in
                    accepted.add(1, ordering: .relaxed)
                    return channel.eventLoop.makeCompletedFuture {
                        // Ports a grpc check asks speak HTTP/2 too, told apart by the first bytes.
                        if grpcPorts.contains(endpoint.port) {
                            try channel.pipeline.syncOperations.addHandler(ProtocolSniffer(node: node, simulator: self))
                            return
                        }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(SimulatedNodeHandler(node: node, simulator: self))
                    }
                }
            do {
                opened.append(try await bootstrap.bind(host: endpoint.host, port: endpoint.port).get())
            } catch {
                for channel in opened { try? await channel.close() }
                throw SimulatorError.cannotListen(node: node, address: "\(endpoint.host):\(endpoint.port)", reason: "\(error)")
            }
        }
        state.withLock { $0.channels[node] = opened }
    }

    /// How many requests `node` has answered on `path` (the query left out).
    public func requests(to node: String, path: String) -> Int {
        state.withLock { $0.requests[node + path] ?? 0 }
    }

    private func unbind(_ node: String) async {
        let channels = state.withLock { $0.channels.removeValue(forKey: node) ?? [] }
        for channel in channels { try? await channel.close() }
    }

    /// The answer `node` gives to a GET of `path` now: status, content type, body and delay.
    func respond(node: String, path: String) -> SimulatedResponse {
        let condition = self.condition(of: node)
        let now = Date()
        let route = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        let activity = state.withLock { state -> NodeActivity? in
            state.requests[node + route, default: 0] += 1
            state.activity[node]?.advance(to: now, condition: condition)
            return state.activity[node]
        }
        let delay = condition.extraLatency
        if condition.health == .silent { return SimulatedResponse(status: .ok, body: "", delay: .zero, silent: true) }
        switch route {
        case "/health", "/healthz", "/v1/health":
            let isEtcd = services(of: node).contains("etcd")
            switch condition.health {
            case .down:
                // A scenario's crashed process: the port answers, the service does not.
                return SimulatedResponse(status: .serviceUnavailable, body: (condition.cause ?? "down") + "\n", delay: delay)
            case .ok, .silent:
                return SimulatedResponse(status: .ok, body: isEtcd ? "{\"health\":\"true\"}\n" : "ok\n", delay: delay)
            case .degraded(let reason):
                return SimulatedResponse(status: .tooManyRequests, body: reason + "\n", delay: delay)
            case .failing(let reason):
                return SimulatedResponse(status: .internalServerError, body: reason + "\n", delay: delay)
            }
        case "/metrics":
            return SimulatedResponse(status: .ok, contentType: "text/plain; version=0.0.4", body: activity?.exposition() ?? "", delay: delay)
        case "/logs":
            return SimulatedResponse(status: .ok, body: (activity?.logs.suffix(100) ?? []).joined(separator: "\n") + "\n", delay: delay)
        case "/api/ping":
            if case .failing(let reason) = condition.health {
                return SimulatedResponse(status: .internalServerError, body: reason + "\n", delay: delay)
            }
            return SimulatedResponse(status: .ok, body: "pong\n", delay: delay)
        default:
            return SimulatedResponse(status: .notFound, body: "not found: \(route)\n", delay: .zero)
        }
    }
}

/// What a simulated node answers.
struct SimulatedResponse: Sendable {
    var status: HTTPResponseStatus
    var contentType = "text/plain; charset=utf-8"
    var body: String
    var delay: Duration
    /// Say nothing at all: the connection stays open and unanswered.
    var silent = false
}

public enum SimulatorError: Error, Sendable, CustomStringConvertible {
    case unknownNode(String)
    case cannotListen(node: String, address: String, reason: String)

    public var description: String {
        switch self {
        case .unknownNode(let node): "no simulated node is called '\(node)'"
        case .cannotListen(let node, let address, let reason): "cannot simulate node '\(node)': listening on \(address) failed: \(reason)"
        }
    }
}
