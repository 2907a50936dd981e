import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import VitalsCore

/// An HTTP answer, reduced to what probes and scrapers need.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var reason: String
    public var body: String
    /// Whether the body was cut at the size limit.
    public var truncated: Bool
    public var latency: Duration
    /// Whether the server lets the connection be used again.
    var keepAlive = false
    /// The body as bytes, when asked for (`raw`); `body` is then empty.
    public var bytes: [UInt8] = []
    /// The `Content-Type` header, on kept-alive requests.
    public var contentType: String?
    /// When the server's certificate stops being valid (https, one-shot requests).
    public var certificateExpiry: Date?
}

/// Why an HTTP request got no answer.
public enum FetchError: Error, Sendable, CustomStringConvertible {
    case timedOut(Duration)
    case connect(String)
    case closedEarly
    case protocolError(String)
    /// TLS could not be set up, or its handshake failed: the reason in words.
    case tls(String)

    public var description: String {
        switch self {
        case .timedOut(let limit): "timed out after \(limit.goString)"
        case .connect(let why): why
        case .closedEarly: "connection closed before a complete response"
        case .protocolError(let why): "bad HTTP response: \(why)"
        case .tls(let why): why
        }
    }
}

/// A minimal HTTP/1.1 GET client on SwiftNIO with a hard deadline that covers connect, request
/// and response, and a cap on the body it keeps.
///
/// By default each request has a connection of its own (`Connection: close`), as Consul's health
/// checks do. With `keepAlive`, a connection to the same host and port is reused across requests
/// (scrapes and log reads, which poll the same endpoint forever); at most one idle connection
/// per endpoint is kept.
///
/// `https://` targets speak TLS, trusted as `tls` says (the system's CAs by default).
public struct HTTPFetcher: Sendable {
    let group: any EventLoopGroup
    private let idle = IdleConnections()
    public let tlsClient = TLSClient()

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    /// GETs `target`, giving up after `timeout`.
    /// - Throws: `FetchError` when there is no complete answer in time.
    /// - Parameters:
    ///   - accept: the `Accept` header (kept-alive requests only).
    ///   - raw: keep the body as bytes in `bytes` instead of decoding it (kept-alive requests only).
    public func get(
        _ target: HTTPTarget, timeout: Duration, maxBody: Int = 256 * 1024, keepAlive: Bool = false, accept: String = "*/*", raw: Bool = false,
        tls: TLSOptions = TLSOptions()
    ) async throws -> HTTPResponse {
        let start = NIODeadline.now()
        let reused = keepAlive ? idle.take(target) : nil
        let loop = reused?.eventLoop ?? group.next()
        let promise = loop.makePromise(of: HTTPResponse.self)
        let timer = loop.scheduleTask(deadline: start + .nanoseconds(timeout.nanoseconds)) { promise.fail(FetchError.timedOut(timeout)) }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        if keepAlive {
            getKeptAlive(target, reusing: reused, on: loop, promise: promise, start: start, timeout: timeout, maxBody: maxBody, accept: accept, raw: raw, tls: tls)
        } else {
            getOnce(target, on: loop, promise: promise, start: start, timeout: timeout, maxBody: maxBody, tls: tls)
        }
        return try await promise.valueOrCancellation()
    }

    /// Sends `body` with `method` (POST, PUT, DELETE…) to `target` on a connection of its own,
    /// giving up after `timeout`.
    /// - Throws: `FetchError` when there is no complete answer in time.
    public func send(
        _ method: String, _ target: HTTPTarget, body: [UInt8] = [], contentType: String = "application/json",
        headers: [(String, String)] = [], timeout: Duration, maxBody: Int = 64 * 1024, tls: TLSOptions = TLSOptions()
    ) async throws -> HTTPResponse {
        let start = NIODeadline.now()
        let loop = group.next()
        let promise = loop.makePromise(of: HTTPResponse.self)
        let timer = loop.scheduleTask(deadline: start + .nanoseconds(timeout.nanoseconds)) { promise.fail(FetchError.timedOut(timeout)) }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        let request: @Sendable (ByteBufferAllocator) -> ByteBuffer = { allocator in
            OneShotHTTPHandler.request(method: method, for: target, body: body, contentType: contentType, headers: headers, allocator: allocator)
        }
        getOnce(target, request: request, on: loop, promise: promise, start: start, timeout: timeout, maxBody: maxBody, tls: tls)
        return try await promise.valueOrCancellation()
    }

    /// One request, one connection: the lean path health probes take, read by `OneShotHTTPHandler`.
    private func getOnce(
        _ target: HTTPTarget, request: (@Sendable (ByteBufferAllocator) -> ByteBuffer)? = nil, on loop: any EventLoop,
        promise: EventLoopPromise<HTTPResponse>, start: NIODeadline, timeout: Duration, maxBody: Int, tls: TLSOptions
    ) {
        let tlsClient = self.tlsClient
        ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(timeout.nanoseconds))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if target.tls { try channel.pipeline.syncOperations.addHandler(tlsClient.handler(host: target.host, options: tls)) }
                    let request = request?(channel.allocator) ?? OneShotHTTPHandler.request(for: target, allocator: channel.allocator)
                    try channel.pipeline.syncOperations.addHandler(
                        OneShotHTTPHandler(request: request, promise: promise, start: start, maxBody: maxBody, host: target.host, tls: target.tls)
                    )
                }
            }
            .connect(to: target.host, port: target.port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                case .failure(let error as FetchError):
                    promise.fail(error)
                case .failure(let error):
                    promise.fail(FetchError.connect(describeConnectError(error, host: target.host, port: target.port, timeout: timeout)))
                }
            }
    }

    /// A request on a kept-alive connection (`reused`, or a new one), on SwiftNIO's HTTP codec;
    /// the connection goes back to the pool after a whole answer that allows it.
    private func getKeptAlive(
        _ target: HTTPTarget, reusing reused: (any Channel)?, on loop: any EventLoop, promise: EventLoopPromise<HTTPResponse>,
        start: NIODeadline, timeout: Duration, maxBody: Int, accept: String, raw: Bool, tls: TLSOptions
    ) {
        let idle = self.idle
        let tlsClient = self.tlsClient
        @Sendable func send(on channel: any Channel) {
            guard let collector = try? channel.pipeline.syncOperations.handler(type: ResponseCollector.self) else {
                channel.close(promise: nil)
                promise.fail(FetchError.closedEarly)
                return
            }
            collector.begin(promise: promise, start: start, maxBody: maxBody, raw: raw)
            promise.futureResult.whenComplete { result in
                if case .success(let response) = result, response.keepAlive, channel.isActive {
                    idle.put(channel, for: target)
                } else {
                    channel.close(promise: nil)
                }
            }
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path)
            head.headers.add(name: "Host", value: target.hostHeader)
            head.headers.add(name: "User-Agent", value: "vitals/0.1")
            head.headers.add(name: "Accept", value: accept)
            if raw { head.headers.add(name: "Accept-Encoding", value: "gzip") }
            head.headers.add(name: "Connection", value: "keep-alive")
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        if let reused {
            reused.eventLoop.execute { send(on: reused) }
            return
        }
        ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(timeout.nanoseconds))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if target.tls { try channel.pipeline.syncOperations.addHandler(tlsClient.handler(host: target.host, options: tls)) }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(host: target.host))
                }
            }
            .connect(to: target.host, port: target.port)
            .whenComplete { result in
                switch result {
                case .success(let channel): send(on: channel)
                case .failure(let error as FetchError):
                    promise.fail(error)
                case .failure(let error):
                    promise.fail(FetchError.connect(describeConnectError(error, host: target.host, port: target.port, timeout: timeout)))
                }
            }
    }
}

/// At most one idle keep-alive connection per endpoint.
private final class IdleConnections: Sendable {
    private let channels = Mutex<[String: any Channel]>([:])

    func take(_ target: HTTPTarget) -> (any Channel)? {
        let channel = channels.withLock { $0.removeValue(forKey: Self.key(target)) }
        guard let channel, channel.isActive else { return nil }
        return channel
    }

    func put(_ channel: any Channel, for target: HTTPTarget) {
        let previous = channels.withLock { channels in
            let previous = channels[Self.key(target)]
            channels[Self.key(target)] = channel
            return previous
        }
        if let previous, previous !== channel { previous.close(promise: nil) }
    }

    private static func key(_ target: HTTPTarget) -> String { "\(target.tls ? "https" : "http")|\(target.host)|\(target.port)" }
}

/// Collects one response at a time and completes that request's promise with it. Lives as long
/// as its connection; `begin` arms it for the next request.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var promise: EventLoopPromise<HTTPResponse>?
    private var start = NIODeadline.now()
    private var maxBody = 0
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    private var truncated = false
    private var raw = false
    private let host: String

    init(host: String) { self.host = host }

    func begin(promise: EventLoopPromise<HTTPResponse>, start: NIODeadline, maxBody: Int, raw: Bool) {
        self.raw = raw
        self.promise = promise
        self.start = start
        self.maxBody = maxBody
        head = nil
        body.clear()
        truncated = false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var chunk):
            let room = maxBody - body.readableBytes
            if chunk.readableBytes > room {
                truncated = true
                if room > 0, let slice = chunk.readSlice(length: room) { body.writeImmutableBuffer(slice) }
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let promise else { return }
            self.promise = nil
            guard let head else {
                promise.fail(FetchError.protocolError("no status line"))
                return
            }
            let elapsed = NIODeadline.now() - start
            let text = raw ? "" : String(decoding: body.readableBytesView, as: UTF8.self)
            promise.succeed(HTTPResponse(
                status: Int(head.status.code), reason: head.status.reasonPhrase, body: text, truncated: truncated,
                latency: .nanoseconds(elapsed.nanoseconds), keepAlive: head.isKeepAlive,
                bytes: raw ? Array(body.readableBytesView) : [], contentType: head.headers.first(name: "Content-Type")
            ))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.fail(FetchError.closedEarly)
        promise = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let failure = TLSClient.fetchError(error, host: host) else { return }
        promise?.fail(failure)
        promise = nil
        context.close(promise: nil)
    }
}

extension EventLoopPromise where Value: Sendable {
    /// Waits for the result; when the waiting task is cancelled (the engine stopping), the
    /// promise fails at once with `CancellationError` instead of running out its deadline.
    func valueOrCancellation() async throws -> Value {
        try await withTaskCancellationHandler {
            try await futureResult.get()
        } onCancel: {
            fail(CancellationError())
        }
    }
}

/// Says why a connection failed in the words an operator expects ("connection refused").
public func describeConnectError(_ error: any Error, host: String, port: Int, timeout: Duration) -> String {
    let target = AddressSyntax.join(host, port)
    if let connection = error as? NIOConnectionError {
        if let first = connection.connectionErrors.first {
            return describeConnectError(first.error, host: host, port: port, timeout: timeout)
        }
        if let dns = connection.dnsAAAAError ?? connection.dnsAError {
            return "dial tcp \(target): cannot resolve host: \(dns)"
        }
    }
    if let io = error as? IOError {
        switch io.errnoCode {
        case ECONNREFUSED: return "dial tcp \(target): connection refused"
        case EHOSTUNREACH: return "dial tcp \(target): no route to host"
        case ENETUNREACH: return "dial tcp \(target): network is unreachable"
        case EADDRNOTAVAIL: return "dial tcp \(target): address not available"
        default: return "dial tcp \(target): \(io.description)"
        }
    }
    if case ChannelError.connectTimeout = error {
        return "dial tcp \(target): connect timed out after \(timeout.goString)"
    }
    return "dial tcp \(target): \(error)"
}

extension ClientBootstrap {
    /// Connects to `host`, skipping the resolver (a round trip through a thread pool) when the
    /// host is already an IP address, as it is for almost every check.
    func connect(to host: String, port: Int) -> EventLoopFuture<any Channel> {
        if AddressSyntax.isIPv4(host) || AddressSyntax.isIPv6(host), let address = try? SocketAddress(ipAddress: host, port: port) {
            return connect(to: address)
        }
        return connect(host: host, port: port)
    }
}
