import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// An HTTP server on a fresh loopback address that keeps every request it receives (method,
/// path, body) and answers each with a fixed status, or never answers at all: a webhook
/// receiver or Alertmanager stand-in that can also misbehave.
public final class RecordingServer: Sendable {
    public struct Request: Sendable, Equatable {
        public var method: String
        public var path: String
        public var body: String
    }

    public enum Behaviour: Sendable {
        case answer(status: Int)
        /// Reads the request and never answers.
        case hang
    }

    public let host: String
    public let port: Int
    private let channel: any Channel

    public static func start(_ behaviour: Behaviour = .answer(status: 200)) async throws -> RecordingServer {
        let host = TestCluster.uniqueAddress()
        let logBox = LogBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour, log: logBox))
                }
            }
            .bind(host: host, port: 9093)
            .get()
        return RecordingServer(host: host, port: 9093, channel: channel, log: logBox)
    }

    private init(host: String, port: Int, channel: any Channel, log: LogBox) {
        self.host = host
        self.port = port
        self.channel = channel
        self.box = log
    }

    private let box: LogBox

    public var url: String { "http://\(host):\(port)" }

    /// Every complete request so far, in arrival order.
    public var requests: [Request] { box.log.withLock { $0 } }

    /// Waits until a request satisfies `predicate`; nil after `timeout`.
    public func waitForRequest(timeout: Duration = .seconds(10), _ predicate: (Request) -> Bool) async -> Request? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = requests.first(where: predicate) { return found }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    public func stop() async { try? await channel.close() }

    final class LogBox: Sendable {
        let log = Mutex<[Request]>([])
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour
        let log: LogBox
        var bytes: [UInt8] = []

        init(behaviour: Behaviour, log: LogBox) {
            self.behaviour = behaviour
            self.log = log
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
            let text = String(decoding: bytes, as: UTF8.self)
            guard let split = text.range(of: "\r\n\r\n") else { return }
            let head = text[..<split.lowerBound]
            let length = head.split(separator: "\r\n").compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
            let body = Array(text[split.upperBound...].utf8)
            guard body.count >= length else { return }
            let requestLine = head.split(separator: "\r\n").first?.split(separator: " ") ?? []
            let request = Request(
                method: requestLine.first.map(String.init) ?? "", path: requestLine.dropFirst().first.map(String.init) ?? "",
                body: String(decoding: body.prefix(length), as: UTF8.self)
            )
            log.log.withLock { $0.append(request) }
            bytes = []
            guard case .answer(let status) = behaviour else { return }
            let reply = request.path.hasPrefix("/api/v2/silences") ? "{\"silenceID\":\"s-\(UUID().uuidString.prefix(8))\"}" : "{}"
            let answer = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(reply.utf8.count)\r\nConnection: close\r\n\r\n\(reply)"
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: answer)), promise: nil)
            context.close(promise: nil)
        }
    }
}
