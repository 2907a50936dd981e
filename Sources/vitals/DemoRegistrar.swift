import Foundation
import Synchronization
import VitalsCore
import VitalsServer
import VitalsSim

/// The demo's self-registering instances: each is one more simulated instance of a service the
/// file runs (a copy of its first node, on a fresh loopback address 127.0.2.x), which registers
/// itself through the agent API over HTTP, as a real service would with Consul. The fault menu's
/// `add` and `remove` start and stop more.
final class DemoRegistrar: Sendable {
    private let simulator: Simulator
    private let config: ClusterConfig
    private let client: APIClient
    /// Addresses and names given out so far.
    private let issued = Mutex<(address: Int, names: Set<String>)>((0, []))

    /// How long a registered demo instance may stay critical before Vitals deregisters it (so an
    /// instance left from an earlier run, which nothing serves now, goes away by itself).
    static let deregisterAfter = "1m"

    init(simulator: Simulator, config: ClusterConfig, api: String, token: String? = nil) throws {
        self.simulator = simulator
        self.config = config
        client = try APIClient(url: api, user: "demo", token: token)
    }

    /// A registrar for `slot`'s simulated cluster, talking to `server`, already registering the
    /// file's `simulation.register` instances (each report goes to `report`); nil when nothing is
    /// simulated, or the API serves TLS (whose CA the registrar would need).
    static func started(
        slot: EngineSlot, config: ClusterConfig, server: APIServer, report: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> DemoRegistrar? {
        guard let simulator = slot.simulator, server.configuration.tlsCertificate == nil else { return nil }
        let demo = try DemoRegistrar(simulator: simulator, config: config, api: server.url, token: server.configuration.token)
        slot.demo.registrar = demo
        Task.detached { for line in await demo.start() { report(line) } }
        return demo
    }

    /// Registers one instance of each service the file's `simulation.register` names.
    func start() async -> [String] {
        var reports: [String] = []
        for service in config.simulation?.register ?? [] {
            reports.append(await add(service: service))
        }
        return reports
    }

    /// The service `node` runs, for the fault menu's `add` on a selected node.
    func service(of node: String, in snapshot: ClusterSnapshot) -> String? {
        snapshot.nodes.first { $0.name == node }?.services.first
    }

    /// Starts one more simulated instance of `service` and registers it; returns a line for the footer.
    func add(service: String) async -> String {
        guard let template = config.nodes.first(where: { node in node.services.contains { $0.name == service } && simulator.serves(node.name) }) else {
            return "no simulated node runs \(service) to copy"
        }
        let (id, address) = issued.withLock { issued -> (String, String) in
            let taken = Set(config.nodes.map(\.name)).union(issued.names)
            var number = 1
            while taken.contains("\(service)-\(number)") { number += 1 }
            issued.names.insert("\(service)-\(number)")
            issued.address += 1
            return ("\(service)-\(number)", "\(Self.addedRange(after: template.address)).\(10 + issued.address % 240)")
        }
        let node = Self.copy(of: template, named: id, at: address)
        do {
            try await simulator.addInstance(node)
        } catch {
            return "cannot start \(id): \(error)"
        }
        do {
            _ = try await client.send("PUT", "/v1/agent/service/register", json: Self.registration(of: node, service: service))
            return "\(id) started on \(address) and registered itself through the API"
        } catch {
            await simulator.removeInstance(id)
            return "\(id) could not register: \(error)"
        }
    }

    /// Instances of `service` the simulator serves now (the file's and those added).
    func instances(of service: String) -> [String] {
        let fromFile = config.nodes.filter { node in node.services.contains { $0.name == service } && simulator.serves(node.name) }.map(\.name)
        let added = simulator.addedInstances.filter { $0.value.services.contains { $0.name == service } }.map(\.key)
        return fromFile + added.sorted { $0.localizedStandardCompare($1) == .orderedAscending }
    }

    /// Brings `service` to `replicas` instances: new ones start and register; removed ones (the
    /// newest added first; the file's own stay) deregister, drain for `drain`, then stop.
    func scale(service: String, to replicas: Int, drain: Duration = .seconds(2)) async -> (ok: Bool, summary: String) {
        let running = instances(of: service)
        if replicas > running.count {
            var said: [String] = []
            for _ in running.count..<replicas {
                let line = await add(service: service)
                said.append(line)
                if !line.contains("registered itself") { return (false, said.joined(separator: "; ")) }
            }
            return (true, "started \(replicas - running.count): " + said.map { $0.split(separator: " ").first.map(String.init) ?? $0 }.joined(separator: ", "))
        }
        let removable = running.filter { simulator.addedInstances[$0] != nil }.reversed()
        let surplus = Array(removable.prefix(running.count - replicas))
        guard !surplus.isEmpty else { return (replicas == running.count, replicas == running.count ? "already \(replicas)" : "only added instances can be stopped") }
        for node in surplus {
            do {
                _ = try await client.send("PUT", "/v1/agent/service/deregister/\(APIClient.segment(node))")
            } catch {
                return (false, "\(node) could not deregister: \(error)")
            }
        }
        // Deregistered, it takes no new work; what it had finishes before it stops.
        try? await Task.sleep(for: drain)
        for node in surplus {
            await simulator.removeInstance(node)
            issued.withLock { _ = $0.names.remove(node) }
        }
        let short = running.count - surplus.count > replicas ? " (the file's instances stay)" : ""
        return (true, "drained and stopped \(surplus.joined(separator: ", "))" + short)
    }

    /// Deregisters the demo instance `node` and stops it; returns a line for the footer.
    func remove(node: String) async -> String {
        guard simulator.addedInstances[node] != nil else {
            return "\(node) is the cluster file's: only instances added by the demo can be removed"
        }
        do {
            _ = try await client.send("PUT", "/v1/agent/service/deregister/\(APIClient.segment(node))")
        } catch {
            return "\(node) could not deregister: \(error)"
        }
        await simulator.removeInstance(node)
        issued.withLock { _ = $0.names.remove(node) }
        return "\(node) deregistered and stopped"
    }

    /// Where added instances go: the /24 after the file's (127.0.1.x → 127.0.2.x), so two demos on
    /// different ranges do not meet.
    static func addedRange(after address: String) -> String {
        let parts = address.split(separator: ".")
        guard parts.count == 4, let third = Int(parts[2]), third < 255 else { return "127.0.2" }
        return "\(parts[0]).\(parts[1]).\(third + 1)"
    }

    /// `template` moved to `address`: its checks, metrics and logs follow.
    static func copy(of template: NodeConfig, named name: String, at address: String) -> NodeConfig {
        func moved(_ url: String) -> String { url.replacingOccurrences(of: "//\(template.address):", with: "//\(address):") }
        var node = NodeConfig(name: name, address: address)
        node.metricsURL = template.metricsURL.map(moved)
        node.logURLs = template.logURLs.map(moved)
        node.services = template.services.prefix(1).map { service in
            var copy = service
            copy.checks = service.checks.map { check in
                var check = check
                switch check.target {
                case .http(let url): check.target = .http(url: moved(url))
                case .tcp(let host, let port) where host == template.address: check.target = .tcp(host: address, port: port)
                default: break
                }
                return check
            }
            return copy
        }
        return node
    }

    /// The body a service sends to register `node`: its http and tcp checks as Consul spells them,
    /// and where Vitals reads its metrics and logs.
    static func registration(of node: NodeConfig, service: String) -> [String: Any] {
        var checks: [[String: Any]] = []
        for check in node.services.first?.checks ?? [] {
            var body: [String: Any] = [
                "Name": check.name, "Interval": check.interval.goString, "Timeout": check.timeout.goString,
                "DeregisterCriticalServiceAfter": deregisterAfter,
            ]
            switch check.target {
            case .http(let url): body["HTTP"] = url
            case .tcp(let host, let port): body["TCP"] = AddressSyntax.join(host, port)
            default: continue
            }
            checks.append(body)
        }
        var meta: [String: String] = ["origin": "vitals demo"]
        meta[Registration.metricsMeta] = node.metricsURL
        meta[Registration.logsMeta] = node.logURLs.first
        var body: [String: Any] = ["ID": node.name, "Name": service, "Address": node.address, "Tags": ["simulated"], "Meta": meta, "Checks": checks]
        body["Port"] = node.services.first?.port
        return body
    }
}
