import Foundation
import NIOCore
import NIOSSL
import NIOHTTP1
import NIOPosix
import VitalsCore

/// An etcd watch through the JSON gateway: one long POST to `/v3/watch` whose answer is a stream
/// of JSON messages, one per line, read as they come.
public enum EtcdWatch {
    /// One message of the stream.
    public struct Message: Sendable, Equatable {
        public enum EventType: Sendable, Equatable { case put, delete }

        public struct Event: Sendable, Equatable {
            public var type: EventType
            public var kv: EtcdKeyValue
        }

        /// The revision the message is at.
        public var revision: Int64
        /// The watch was set up (the first message).
        public var created = false
        public var events: [Event] = []
    }

    /// The longest line read before the stream is given up as broken (a value may be large).
    static let lineLimit = 64 << 20

    static func open(
        _ target: HTTPTarget, body: [UInt8], token: String?, group: any EventLoopGroup, connectTimeout: Duration,
        tls: (client: TLSClient, options: TLSOptions)
    ) -> AsyncThrowingStream<Message, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Message, any Error>.makeStream()
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(connectTimeout.nanoseconds))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if target.tls { try channel.pipeline.syncOperations.addHandler(tls.client.handler(host: target.host, options: tls.options)) }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Handler(target: target, body: body, token: token, continuation: continuation))
                }
            }
        let connecting = bootstrap.connect(host: target.host, port: target.port)
        connecting.whenFailure { error in
            if let fetch = error as? FetchError {
                continuation.finish(throwing: EtcdError.unreachable(["\(target.host):\(target.port): \(fetch)"]))
                return
            }
            continuation.finish(throwing: EtcdError.unreachable(["\(target.host):\(target.port): \(describeConnectError(error, host: target.host, port: target.port, timeout: connectTimeout))"]))
        }
        continuation.onTermination = { _ in
            connecting.whenSuccess { $0.close(promise: nil) }
        }
        return stream
    }

    /// Reads one line of the stream: a message, an error from etcd, or nothing useful.
    static func parse(_ line: [UInt8]) throws -> Message? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
            throw EtcdError.badAnswer("a watch message is not JSON")
        }
        if let error = object["error"] as? [String: Any] {
            throw EtcdError.http(status: Int(EtcdClient.int(error["http_code"])), message: (error["message"] as? String ?? "watch failed").sanitizedForTerminal)
        }
        guard let result = object["result"] as? [String: Any] else { return nil }
        let compacted = EtcdClient.int(result["compact_revision"])
        if compacted > 0 { throw EtcdError.compacted(compacted) }
        if result["canceled"] as? Bool == true {
            throw EtcdError.badAnswer("etcd cancelled the watch: \((result["cancel_reason"] as? String ?? "no reason").sanitizedForTerminal)")
        }
        let header = result["header"] as? [String: Any] ?? [:]
        var message = Message(revision: EtcdClient.int(header["revision"]), created: result["created"] as? Bool == true)
        for event in result["events"] as? [[String: Any]] ?? [] {
            guard let kvObject = event["kv"] as? [String: Any], let kv = EtcdClient.keyValue(kvObject) else { continue }
            // Protobuf's JSON leaves the first enum value (PUT) out.
            message.events.append(Message.Event(type: (event["type"] as? String) == "DELETE" ? .delete : .put, kv: kv))
        }
        return message
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart

        let target: HTTPTarget
        let body: [UInt8]
        let token: String?
        let continuation: AsyncThrowingStream<Message, any Error>.Continuation
        var pending: [UInt8] = []
        var finished = false

        init(target: HTTPTarget, body: [UInt8], token: String?, continuation: AsyncThrowingStream<Message, any Error>.Continuation) {
            self.target = target
            self.body = body
            self.token = token
            self.continuation = continuation
        }

        func channelActive(context: ChannelHandlerContext) {
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target.path)
            head.headers.add(name: "Host", value: AddressSyntax.join(target.host, target.port))
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.count))
            if let token { head.headers.add(name: "Authorization", value: token) }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !finished else { return }
            switch unwrapInboundIn(data) {
            case .head(let head):
                if head.status != .ok { fail(context, EtcdError.http(status: Int(head.status.code), message: "the watch was refused")) }
            case .body(var buffer):
                pending += buffer.readBytes(length: buffer.readableBytes) ?? []
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) else { continue }
                    do {
                        if let message = try EtcdWatch.parse(line) { continuation.yield(message) }
                    } catch {
                        fail(context, error)
                        return
                    }
                }
                if pending.count > EtcdWatch.lineLimit { fail(context, EtcdError.badAnswer("a watch message is longer than 64 MB")) }
            case .end:
                fail(context, EtcdError.badAnswer("etcd ended the watch"))
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !finished {
                finished = true
                continuation.finish(throwing: EtcdError.unreachable(["\(target.host):\(target.port): the watch connection closed"]))
            }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if case NIOSSLError.uncleanShutdown = error { return }  // the close that follows ends the watch
            fail(context, EtcdError.unreachable(["\(target.host):\(target.port): \(TLSClient.describe(error, host: target.host) ?? "\(error)")"]))
        }

        private func fail(_ context: ChannelHandlerContext, _ error: any Error) {
            guard !finished else { return }
            finished = true
            continuation.finish(throwing: error)
            context.close(promise: nil)
        }
    }
}
