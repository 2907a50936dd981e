import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import VitalsCore
import VitalsEngine

/// Reads `GET /v1/events` of a Vitals API: one connection whose answer is a stream of
/// server-sent events, handed over as they come. The stream ends (throws) when the connection
/// closes, when the server says nothing (not even a ping) for `silence`, or when an event is
/// larger than 64 MiB.
public enum EventStreamClient {
    public struct Event: Sendable, Equatable {
        public var name: String
        public var data: [UInt8]
    }

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    static let eventLimit = 64 << 20

    public static func open(
        _ target: HTTPTarget, headers: [(String, String)], group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: Duration = .seconds(5), silence: Duration = .seconds(30), tls: (client: TLSClient, options: TLSOptions)
    ) -> AsyncThrowingStream<Event, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Event, any Error>.makeStream()
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(connectTimeout.nanoseconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if target.tls { try channel.pipeline.syncOperations.addHandler(tls.client.handler(host: target.host, options: tls.options)) }
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .nanoseconds(silence.nanoseconds)))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Handler(target: target, headers: headers, continuation: continuation))
                }
            }
        let connecting = bootstrap.connect(host: target.host, port: target.port)
        connecting.whenFailure { error in
            if let fetch = error as? FetchError {
                continuation.finish(throwing: Failure("\(fetch)"))
            } else {
                continuation.finish(throwing: Failure(describeConnectError(error, host: target.host, port: target.port, timeout: connectTimeout)))
            }
        }
        continuation.onTermination = { _ in
            connecting.whenSuccess { $0.close(promise: nil) }
        }
        return stream
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart

        let target: HTTPTarget
        let headers: [(String, String)]
        let continuation: AsyncThrowingStream<Event, any Error>.Continuation
        var parser = EventStreamParser()
        var finished = false
        var status: HTTPResponseStatus?
        var errorBody: [UInt8] = []

        init(target: HTTPTarget, headers: [(String, String)], continuation: AsyncThrowingStream<Event, any Error>.Continuation) {
            self.target = target
            self.headers = headers
            self.continuation = continuation
        }

        func channelActive(context: ChannelHandlerContext) {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path)
            head.headers.add(name: "Host", value: AddressSyntax.join(target.host, target.port))
            head.headers.add(name: "Accept", value: "text/event-stream")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !finished else { return }
            switch unwrapInboundIn(data) {
            case .head(let head):
                status = head.status
            case .body(let buffer):
                guard status == .ok else {
                    errorBody += buffer.readableBytesView.prefix(4096 - errorBody.count)
                    return
                }
                do {
                    for event in try parser.feed(buffer.readableBytesView) { continuation.yield(event) }
                } catch {
                    fail(context, error)
                }
            case .end:
                if let status, status != .ok {
                    let reason = APIClient.reason(errorBody) ?? status.reasonPhrase
                    fail(context, Failure("the server answered \(status.code): \(reason)"))
                } else {
                    fail(context, Failure("the server ended the event stream"))
                }
            }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is IdleStateHandler.IdleStateEvent {
                fail(context, Failure("the server said nothing for too long"))
            } else {
                context.fireUserInboundEventTriggered(event)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !finished {
                finished = true
                continuation.finish(throwing: Failure("the connection closed"))
            }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            fail(context, Failure("\(error)"))
        }

        private func fail(_ context: ChannelHandlerContext, _ error: any Error) {
            guard !finished else { return }
            finished = true
            continuation.finish(throwing: error)
            context.close(promise: nil)
        }
    }
}

/// The text/event-stream format, fed bytes as they arrive: `event:` and `data:` fields, events
/// ended by a blank line, comments (`: ping`) ignored. A pure value, tested on its own.
public struct EventStreamParser: Sendable {
    private var pending: [UInt8] = []
    private var name = ""
    private var data: [UInt8] = []
    private var hasData = false

    public init() {}

    /// The events completed by `bytes`.
    /// - Throws: when one event grows past 64 MiB.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [EventStreamClient.Event] {
        pending.append(contentsOf: bytes)
        var events: [EventStreamClient.Event] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: 10) {
            var line = pending[start..<newline]
            start = newline + 1
            if line.last == 13 { line = line.dropLast() }
            if line.isEmpty {
                if hasData { events.append(EventStreamClient.Event(name: name.isEmpty ? "message" : name, data: data)) }
                name = ""
                data = []
                hasData = false
                continue
            }
            if line.first == UInt8(ascii: ":") { continue }
            let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
            let field = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            var value = colon < line.endIndex ? line[(colon + 1)...] : []
            if value.first == 32 { value = value.dropFirst() }
            switch field {
            case "event": name = String(decoding: value, as: UTF8.self)
            case "data":
                if hasData { data.append(10) }
                data += value
                hasData = true
            default: break
            }
        }
        pending.removeFirst(start)
        if pending.count + data.count > EventStreamClient.eventLimit {
            throw EventStreamClient.Failure("an event is larger than 64 MiB")
        }
        return events
    }
}
