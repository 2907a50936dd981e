import Foundation
import VitalsCore

/// Builds small clusters on fresh loopback addresses so tests that open real sockets never
/// collide with each other or with a running demo.
public enum TestCluster {
    /// A loopback address in 127.200.0.0–127.254.255.255 that no other test in this process got.
    public static func uniqueAddress() -> String {
        let n = counter.next()
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        return "127.\(200 + pid % 50).\((pid / 50 + n / 250) % 256).\(1 + n % 250)"
    }

    /// One simulated node per name with an http check on /health and a tcp check, port 8080,
    /// metrics on 9100. Fast intervals for tests.
    public static func make(
        nodes names: [String], interval: Duration = .milliseconds(200), timeout: Duration = .milliseconds(400),
        scenario: String = "steady"
    ) -> ClusterConfig {
        let nodes = names.map { name -> NodeConfig in
            let address = uniqueAddress()
            let checks = [
                CheckConfig(name: "http", target: .http(url: "http://\(address):8080/health"), interval: interval, timeout: timeout),
                CheckConfig(name: "port", target: .tcp(host: address, port: 8080), interval: interval, timeout: timeout),
            ]
            return NodeConfig(
                name: name, address: address, services: [ServiceConfig(name: name, port: 8080, checks: checks)],
                metricsURL: "http://\(address):9100/metrics"
            )
        }
        return ClusterConfig(
            name: "test", defaults: CheckDefaults(interval: interval, timeout: timeout), nodes: nodes,
            simulation: SimulationConfig(scenario: scenario)
        )
    }

    private static let counter = Counter()
}

/// A thread-safe counter.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

extension TestCluster {
    /// `config` with every node moved to an address of its own (URLs and tcp targets follow), so a
    /// test can run a sample cluster while the demo, or another test, holds the original addresses.
    public static func relocated(_ config: ClusterConfig) -> ClusterConfig {
        var result = config
        var moved: [String: String] = [:]
        for index in result.nodes.indices {
            let fresh = uniqueAddress()
            moved[result.nodes[index].address] = fresh
            result.nodes[index].address = fresh
        }
        func move(_ text: String) -> String {
            for (old, new) in moved where text.contains("//\(old):") || text.hasPrefix("\(old):") {
                return text.replacingOccurrences(of: old + ":", with: new + ":")
            }
            return text
        }
        func move(_ check: CheckConfig) -> CheckConfig {
            var check = check
            switch check.target {
            case .http(let url): check.target = .http(url: move(url))
            case .tcp(let host, let port): check.target = .tcp(host: moved[host] ?? host, port: port)
            case .grpc(let host, let port, let service, let tls): check.target = .grpc(host: moved[host] ?? host, port: port, service: service, tls: tls)
            case .exec, .dns, .ttl: break
            }
            return check
        }
        for index in result.locks.indices { result.locks[index].endpoints = result.locks[index].endpoints.map(move) }
        for index in result.nodes.indices {
            result.nodes[index].checks = result.nodes[index].checks.map(move)
            result.nodes[index].metricsURL = result.nodes[index].metricsURL.map(move)
            result.nodes[index].logURLs = result.nodes[index].logURLs.map(move)
            for service in result.nodes[index].services.indices {
                result.nodes[index].services[service].checks = result.nodes[index].services[service].checks.map(move)
            }
        }
        return result
    }
}
