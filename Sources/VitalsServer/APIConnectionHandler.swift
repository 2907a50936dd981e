import Foundation
import NIOCore
import NIOHTTP1
import VitalsCore
import VitalsEngine

/// One API connection: reads each request whole (body capped), checks the token, hands it to
/// the router on a task, and writes the answer; `GET /v1/events` turns the connection into an
/// event stream fed by the hub. A request that does not arrive whole in time is answered 408 (or,
/// when nothing at all came, the idle connection is closed).
final class APIConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Phase {
        /// Waiting for a request (`started`: some of one has come).
        case waiting(started: Bool)
        /// Reading a request's body.
        case reading(HTTPRequestHead, body: ByteBuffer, limit: Int)
        /// Refused while reading (413): the rest of the body is ignored until its end.
        case discarding
        /// The router is working on it.
        case answering
        /// The connection is an event stream.
        case streaming
    }

    private let router: APIRouter
    private let hub: EventHub
    private let connections: ConnectionCounter
    private let settings: ConnectionSettings
    private var phase = Phase.waiting(started: false)
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(router: APIRouter, hub: EventHub, connections: ConnectionCounter, settings: ConnectionSettings) {
        self.router = router
        self.hub = hub
        self.connections = connections
        self.settings = settings
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        arm(settings.requestTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    /// The next request must be complete within `amount`.
    private func arm(_ amount: TimeAmount) {
        timer?.cancel()
        guard let context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: amount) { bound.value.timedOut() }
    }

    private func timedOut() {
        guard let context else { return }
        switch phase {
        case .waiting(started: false):
            context.close(promise: nil)
        case .waiting(started: true), .reading, .discarding:
            connections.timedOut()
            phase = .answering
            write(APIError(.requestTimeout, "the request did not arrive whole within the time allowed").response, keepAlive: false)
        case .answering, .streaming:
            break
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard case .waiting = phase else { return }
            let (path, _) = APIRequest.split(target: head.uri)
            let limit = APIRouter.bodyLimit(method: head.method.rawValue, path: path)
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                phase = .discarding
                return refuseTooLarge(limit)
            }
            phase = .reading(head, body: context.channel.allocator.buffer(capacity: 0), limit: limit)
        case .body(var chunk):
            guard case .reading(let head, var body, let limit) = phase else { return }
            guard body.readableBytes + chunk.readableBytes <= limit else {
                phase = .discarding
                return refuseTooLarge(limit)
            }
            phase = .answering  // while the body is moved (no copy on write)
            body.writeBuffer(&chunk)
            phase = .reading(head, body: body, limit: limit)
        case .end:
            guard case .reading(let head, let body, _) = phase else {
                if case .discarding = phase { phase = .answering }
                return
            }
            timer?.cancel()
            phase = .answering
            dispatch(head, body: body, context: context)
        }
    }

    private func refuseTooLarge(_ limit: Int) {
        let text = limit >= 1024 * 1024 ? "\(limit / (1024 * 1024)) MiB" : "\(limit / 1024) KiB"
        write(APIError(.payloadTooLarge, "the body is over \(text)").response, keepAlive: false)
    }

    private func dispatch(_ head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let (path, query) = APIRequest.split(target: head.uri)
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        let request = APIRequest(
            method: head.method.rawValue, path: path, query: query, headers: headers, body: Array(body.readableBytesView),
            remote: context.remoteAddress?.ipAddress ?? "?"
        )
        if let token = settings.token, !Self.authorized(headers, query: query, token: token) {
            let error = APIError(
                .unauthorized, "this API needs its token: Authorization: Bearer TOKEN (or X-Consul-Token, or Consul's ?token=)", headers: [("WWW-Authenticate", "Bearer")]
            )
            return write(error.response, keepAlive: head.isKeepAlive)
        }
        if head.method == .GET && path == "/v1/events" {
            var interval: Duration?
            if let text = query["interval"], !text.isEmpty {
                guard let parsed = Duration(goString: text), parsed >= .zero else {
                    return write(APIError(.invalidField, "'interval' is a duration like 1s").response, keepAlive: head.isKeepAlive)
                }
                // Longer than a minute is taken as a minute: a stream that says nothing for longer
                // would look dead.
                interval = min(parsed, .seconds(60))
            }
            return startStream(context: context, interval: interval)
        }
        let router = self.router
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let keepAlive = head.isKeepAlive
        let isHead = head.method == .HEAD
        Task {
            let response = await router.handle(request)
            loop.execute { bound.value.write(response, keepAlive: keepAlive, headOnly: isHead) }
        }
    }

    private func startStream(context: ChannelHandlerContext, interval: Duration?) {
        phase = .streaming
        var headers = HTTPHeaders(EventHub.headers)
        headers.add(name: "Connection", value: "keep-alive")
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        hub.add(context.channel, interval: interval)
    }

    /// Writes `response` and, unless the connection is to close, waits for the next request.
    private func write(_ response: APIResponse, keepAlive: Bool, headOnly: Bool = false) {
        guard let context else { return }
        guard case .bytes(let bytes) = response.body else { return }
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(bytes.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if !headOnly && !bytes.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if keepAlive {
            phase = .waiting(started: false)
            arm(settings.idleTimeout)
        } else {
            timer?.cancel()
            done.whenComplete { _ in context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Whether the request carries the token, compared in constant time.
    static func authorized(_ headers: [String: String], query: [String: String] = [:], token: [UInt8]) -> Bool {
        var offered: [UInt8]?
        if let value = headers["authorization"], value.lowercased().hasPrefix("bearer ") {
            offered = Array(value.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)
        } else if let value = headers["x-consul-token"] {
            offered = Array(value.utf8)
        } else if let value = query["token"] {
            // Consul clients (python-consul among them) send it in the query.
            offered = Array(value.utf8)
        }
        guard let offered else { return false }
        return constantTimeEquals(offered, token)
    }

    /// Compares every byte whatever the first difference, so the time taken tells nothing.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0 && a.count == b.count
    }
}
