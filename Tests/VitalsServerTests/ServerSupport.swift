import Foundation
import VitalsCore
import VitalsEngine
import VitalsServer
import VitalsSim
import VitalsTesting

/// The engine a test server serves; its reload says so.
struct FixedBackend: APIBackend {
    let engine: Engine
    func reloadCluster() async -> APIReload { APIReload(summary: "nothing to reload in a test") }
}

/// A simulated cluster on fresh loopback addresses with alert rules: `shop-2` is down from the
/// start, so NodeDown fires within seconds.
enum AlertingCluster {
    static func config() throws -> ClusterConfig {
        let shop1 = TestCluster.uniqueAddress(), shop2 = TestCluster.uniqueAddress()
        let yaml = """
            cluster: served
            defaults: { interval: 300ms, timeout: 300ms }
            nodes:
              - name: shop-1
                address: \(shop1)
                logs: [ { http: "http://\(shop1):8080/logs" } ]
                services:
                  - name: shop
                    port: 8080
                    checks:
                      - { name: http, http: "http://\(shop1):8080/health" }
                      - { name: heartbeat, ttl: 1h }
              - name: shop-2
                address: \(shop2)
                services:
                  - name: shop
                    port: 8080
                    checks:
                      - { name: http, http: "http://\(shop2):8080/health" }
            alerts:
              - { name: NodeDown, for: 1s }
            simulation: { nodes: all }
            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("served-\(UUID().uuidString).yaml").path
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        return try ClusterConfigLoader.load(path: path)
    }
}

/// Serves `config`'s simulated cluster through a real `APIServer` on a fresh loopback address,
/// runs `body`, and stops everything whatever `body` does.
func withServedCluster<T: Sendable>(
    _ config: ClusterConfig, faults: [String: Fault] = [:], token: String? = nil,
    configure: (inout APIServer.Configuration) -> Void = { _ in },
    _ body: (APIServer, LiveCluster) async throws -> T
) async throws -> T {
    try await LiveCluster.with(config, faults: faults) { live in
        var configuration = APIServer.Configuration(host: TestCluster.uniqueAddress(), port: 0, token: token)
        configure(&configuration)
        let server = try APIServer(configuration: configuration, backend: FixedBackend(engine: live.engine), log: .silent)
        try await server.start()
        do {
            let result = try await body(server, live)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}

/// A plain blocking socket, for what a well-behaved client would never send.
final class RawSocket {
    let fd: Int32

    init(host: String, port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "connect: \(String(cString: strerror(errno)))"])
        }
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) } }

    /// Everything the peer sends until it closes (or 15 s pass): nil when it timed out.
    func readToEnd() -> String? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return String(decoding: data, as: UTF8.self) }
            if n < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? nil : String(decoding: data, as: UTF8.self) }
            data += buffer[0..<n]
        }
    }
}

extension APIServer {
    var port: Int { HTTPTarget(url)?.port ?? 0 }
    var host: String { configuration.host }
}
