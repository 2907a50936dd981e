import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import VitalsCore
import VitalsEngine

/// The HTTP API of a running Vitals (`vitals serve`, or the dashboard with `--listen`): the
/// routes of `APIRouter` and the event stream of `EventHub`, on SwiftNIO's HTTP/1 codec, with
/// optional TLS and a bearer token.
///
/// Every listener is bounded: at most `maxConnections` open at once (the rest are closed as they
/// are accepted), a request must arrive whole within `requestTimeout` of the connection opening
/// (or within `idleTimeout` of the previous answer on a kept-alive connection), and bodies are
/// capped (1 MiB; 16 MiB for pushed logs) before they are read.
public final class APIServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// Required off loopback: every request must carry it (`Authorization: Bearer …` or
        /// `X-Consul-Token`).
        public var token: String?
        /// PEM files; both or neither.
        public var tlsCertificate: String?
        public var tlsKey: String?
        public var maxConnections = 512
        public var requestTimeout: Duration = .seconds(10)
        public var idleTimeout: Duration = .seconds(30)

        public init(host: String, port: Int, token: String? = nil) {
            self.host = host
            self.port = port
            self.token = token
        }

        /// Whether `host` is a loopback address or name (127.0.0.0/8, ::1, localhost).
        public static func isLoopback(_ host: String) -> Bool {
            if host == "localhost" || host == "::1" { return true }
            return AddressSyntax.isIPv4(host) && host.hasPrefix("127.")
        }
    }

    /// Why the server cannot start, in words.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    public let configuration: Configuration
    public let router: APIRouter
    public let hub: EventHub
    public let connections: ConnectionCounter
    private let group: any EventLoopGroup
    private let tls: NIOSSLContext?
    private let log: ServerLog
    private let channel = Mutex<(any Channel)?>(nil)
    private let hubTask = Mutex<Task<Void, Never>?>(nil)
    /// Open connections, closed by `stop`.
    private let children = OpenChannels()

    /// - Throws: `Problem` when the address is off loopback without a token, or the TLS files
    ///   cannot be read.
    public init(configuration: Configuration, backend: any APIBackend, log: ServerLog, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        if !Configuration.isLoopback(configuration.host) && (configuration.token ?? "").isEmpty {
            throw Problem(description: "\(configuration.host) is not a loopback address: give --token-file so that only your team can act (or listen on 127.0.0.1)")
        }
        switch (configuration.tlsCertificate, configuration.tlsKey) {
        case (nil, nil):
            tls = nil
        case (let certificate?, let key?):
            for (flag, file) in [("--tls-cert", certificate), ("--tls-key", key)] where !FileManager.default.isReadableFile(atPath: file) {
                throw Problem(description: "\(flag) \(file): no such file, or it cannot be read")
            }
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
                guard !chain.isEmpty else { throw Problem(description: "--tls-cert \(certificate): no certificate in it") }
                let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
                tls = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey)))
            } catch let problem as Problem {
                throw problem
            } catch {
                throw Problem(description: "cannot use --tls-cert \(certificate) and --tls-key \(key): \(TLSFiles.describe(error))")
            }
        default:
            throw Problem(description: "--tls-cert and --tls-key go together")
        }
        self.configuration = configuration
        self.group = group
        self.log = log
        connections = ConnectionCounter(limit: configuration.maxConnections)
        router = APIRouter(backend: backend, log: log, connections: connections)
        hub = EventHub(backend: backend)
    }

    /// The URL clients use (`http://127.0.0.1:7070`), with the bound port.
    public var url: String {
        let port = channel.withLock { $0?.localAddress?.port } ?? configuration.port
        return "\(tls == nil ? "http" : "https")://\(AddressSyntax.join(configuration.host, port))"
    }

    /// Binds the address (port 0 takes a free one) and starts serving.
    /// - Throws: `Problem` when the address cannot be bound (in use, not this machine's).
    public func start() async throws {
        let router = self.router
        let hub = self.hub
        let connections = self.connections
        let tls = self.tls
        let children = self.children
        let settings = ConnectionSettings(
            token: configuration.token.map { Array($0.utf8) }, requestTimeout: .nanoseconds(configuration.requestTimeout.nanoseconds),
            idleTimeout: .nanoseconds(configuration.idleTimeout.nanoseconds)
        )
        do {
            let bound = try await ServerBootstrap(group: group)
                // TCP listeners are exclusive on Linux with or without it (that takes SO_REUSEPORT);
                // it lets a restarted server bind while old connections linger in TIME_WAIT.
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 256)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 * 1024, high: 1024 * 1024))
                .childChannelInitializer { channel in
                    guard connections.acquire() else { return channel.close() }
                    children.add(channel)
                    channel.closeFuture.whenComplete { _ in
                        connections.release()
                        children.remove(channel)
                    }
                    return channel.eventLoop.makeCompletedFuture {
                        if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(
                            APIConnectionHandler(router: router, hub: hub, connections: connections, settings: settings)
                        )
                    }
                }
                .bind(host: configuration.host, port: configuration.port).get()
            channel.withLock { $0 = bound }
        } catch {
            throw Problem(description: "cannot listen on \(AddressSyntax.join(configuration.host, configuration.port)): \(Self.describe(error))")
        }
        let catalog = router.catalog
        hubTask.withLock {
            $0 = Task.detached {
                await withDiscardingTaskGroup { group in
                    group.addTask { await hub.run() }
                    group.addTask { await catalog.run() }
                }
            }
        }
    }

    /// Stops listening and closes every connection, event streams included.
    public func stop() async {
        let open = channel.withLock { channel in defer { channel = nil }; return channel }
        try? await open?.close()
        let task = hubTask.withLock { task in defer { task = nil }; return task }
        task?.cancel()
        await task?.value
        children.closeAll()
    }

    private static func describe(_ error: any Error) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE: return "the address is in use (another vitals serve?)"
            case EADDRNOTAVAIL: return "no interface of this machine has that address"
            case EACCES: return "permission denied (ports below 1024 need root)"
            default: return String(cString: strerror(io.errnoCode))
            }
        }
        return "\(error)"
    }
}

/// Words for TLS file errors.
enum TLSFiles {
    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("No such file") || text.contains("ENOENT") || text.contains("errno: 2") { return "no such file" }
        if text.contains("failedToLoadCertificate") || text.contains("failedToLoadPrivateKey") { return "not a PEM certificate and key" }
        return text
    }
}

/// What each connection handler needs to know.
struct ConnectionSettings: Sendable {
    var token: [UInt8]?
    var requestTimeout: TimeAmount
    var idleTimeout: TimeAmount
}

/// The connections a server has open, so that stopping it closes them too.
final class OpenChannels: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) { channels.withLock { $0[ObjectIdentifier(channel)] = channel } }
    func remove(_ channel: any Channel) { _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) } }
    func closeAll() {
        for channel in channels.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }
}
