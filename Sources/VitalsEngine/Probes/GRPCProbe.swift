import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import VitalsCore

/// Probes a gRPC server with the standard health call, `grpc.health.v1.Health/Check`, as Consul
/// does: passing only when the answer is `SERVING`; `NOT_SERVING`, `UNKNOWN`, `SERVICE_UNKNOWN`,
/// any gRPC error, and anything that is not a gRPC answer are critical, with the reason.
///
/// One HTTP/2 connection per call (cleartext with prior knowledge, or TLS with ALPN `h2`), one
/// stream, a request and an answer of a few bytes each: the two protobuf messages are encoded by
/// hand (a string field 1 out, an enum field 1 back).
public struct GRPCProbe: Probe {
    let group: any EventLoopGroup
    let tlsClient: TLSClient

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, tlsClient: TLSClient = TLSClient()) {
        self.group = group
        self.tlsClient = tlsClient
    }

    public func run(_ check: CheckConfig) async -> ProbeOutcome {
        guard case .grpc(let host, let port, let service, let useTLS) = check.target else {
            return ProbeOutcome(status: .critical, output: "not a grpc check", latency: nil)
        }
        return await withRetries(check.retries, within: check.interval, responseTimeBelow: check.responseTimeBelow) {
            await attempt(host: host, port: port, service: service, useTLS: useTLS, tls: check.tls, timeout: check.timeout)
        }
    }

    func attempt(host: String, port: Int, service: String, useTLS: Bool, tls: TLSOptions, timeout: Duration) async -> ProbeOutcome {
        let what = "gRPC \(AddressSyntax.join(host, port)) " + (service.isEmpty ? "(server)" : "service '\(service)'")
        let start = NIODeadline.now()
        do {
            let answer = try await call(host: host, port: port, service: service, useTLS: useTLS, tls: tls, timeout: timeout, start: start)
            let latency = Duration.nanoseconds((NIODeadline.now() - start).nanoseconds)
            let (status, words) = Self.judge(answer, service: service)
            return ProbeOutcome(status: status, output: "\(what): \(words)", latency: latency)
        } catch let error as FetchError {
            let latency: Duration? = if case .timedOut = error { timeout } else { nil }
            return ProbeOutcome(status: .critical, output: "\(what): \(error)", latency: latency)
        } catch {
            let why = describeConnectError(error, host: host, port: port, timeout: timeout)
            return ProbeOutcome(status: .critical, output: "\(what): \(why)", latency: why.contains("timed out") ? timeout : nil)
        }
    }

    /// What the server said: the HTTP/2 status, the gRPC status and message from the trailers,
    /// and the serving status in the answer's message.
    struct Answer: Sendable, Equatable {
        var httpStatus: String?
        var contentType: String?
        var grpcStatus: Int?
        var grpcMessage: String?
        var servingStatus: Int?
    }

    /// The gRPC status codes by number, as the spec names them.
    static let codeNames = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    ]
    static let servingNames = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]

    static func judge(_ answer: Answer, service: String) -> (Status, String) {
        guard answer.httpStatus == "200" else {
            return (.critical, "HTTP/2 status \(answer.httpStatus ?? "missing"), not a gRPC answer")
        }
        guard let code = answer.grpcStatus else { return (.critical, "no grpc-status in the answer (not a gRPC server?)") }
        let name = codeNames.indices.contains(code) ? codeNames[code] : "code \(code)"
        let message = answer.grpcMessage.map { $0.isEmpty ? "" : ": \($0.prefix(200))" } ?? ""
        switch code {
        case 0:
            guard let serving = answer.servingStatus else { return (.critical, "an answer without a serving status") }
            let word = servingNames.indices.contains(serving) ? servingNames[serving] : "status \(serving)"
            return (serving == 1 ? .passing : .critical, word)
        case 12:
            return (.critical, "the server does not implement grpc.health.v1.Health (UNIMPLEMENTED\(message))")
        case 5 where !service.isEmpty:
            return (.critical, "the server does not know this service (NOT_FOUND\(message))")
        default:
            return (.critical, "\(name)\(message)")
        }
    }

    private func call(
        host: String, port: Int, service: String, useTLS: Bool, tls: TLSOptions, timeout: Duration, start: NIODeadline
    ) async throws -> Answer {
        let loop = group.next()
        let promise = loop.makePromise(of: Answer.self)
        // Every path completes it (a second completion is ignored): NIO reports a dropped promise.
        defer { promise.fail(CancellationError()) }
        let timer = loop.scheduleTask(deadline: start + .nanoseconds(timeout.nanoseconds)) { promise.fail(FetchError.timedOut(timeout)) }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        let tlsClient = self.tlsClient
        let authority = AddressSyntax.join(tls.serverName ?? host, port)
        let request = Self.request(service: service, authority: authority, useTLS: useTLS, timeout: timeout)
        let body = Self.message(service: service)
        ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(timeout.nanoseconds))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if useTLS { try channel.pipeline.syncOperations.addHandler(tlsClient.handler(host: host, options: tls, alpn: ["h2"])) }
                    _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                        mode: .client, connectionConfiguration: .init(), streamConfiguration: .init()
                    ) { stream in stream.close() }  // the server opens no streams of its own here
                    try channel.pipeline.syncOperations.addHandler(ConnectionWatcher(promise: promise, host: host))
                }
            }
            .connect(to: host, port: port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    // The call's stream, once connected (a stream made before would outlive a failed
                    // connect). When the call ends, the stream closes first and then the connection:
                    // a stream whose connection went first is never torn down and its memory stays.
                    let streamMade = channel.eventLoop.makePromise(of: (any Channel).self)
                    promise.futureResult.whenComplete { _ in
                        streamMade.futureResult.whenComplete { made in
                            guard case .success(let stream) = made else { return channel.close(promise: nil) }
                            // (Its close future, not a close promise: closing a stream that is
                            // already closed never completes the promise, and the connection would stay.)
                            stream.close(promise: nil)
                            stream.closeFuture.whenComplete { _ in channel.close(promise: nil) }
                        }
                    }
                    // (The connect future completes on the channel's event loop: the pipeline may be used here.)
                    do {
                        let multiplexer = try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
                        multiplexer.createStreamChannel(promise: streamMade) { stream in
                            stream.eventLoop.makeCompletedFuture {
                                try stream.pipeline.syncOperations.addHandler(HealthCall(request: request, body: body, promise: promise, host: host))
                            }
                        }
                    } catch {
                        streamMade.fail(error)
                        promise.fail(FetchError.protocolError("cannot open an HTTP/2 stream: \(error)"))
                    }
                case .failure(let error as FetchError): promise.fail(error)
                case .failure(let error): promise.fail(FetchError.connect(describeConnectError(error, host: host, port: port, timeout: timeout)))
                }
            }
        return try await promise.valueOrCancellation()
    }

    static func request(service: String, authority: String, useTLS: Bool, timeout: Duration) -> HPACKHeaders {
        let milliseconds = max(1, timeout.nanoseconds / 1_000_000)
        return HPACKHeaders([
            (":method", "POST"), (":scheme", useTLS ? "https" : "http"), (":path", "/grpc.health.v1.Health/Check"),
            (":authority", authority), ("content-type", "application/grpc"), ("te", "trailers"),
            ("grpc-timeout", "\(min(milliseconds, 99_999_999))m"), ("user-agent", "vitals/0.1"),
        ])
    }

    /// `HealthCheckRequest { string service = 1; }` in a gRPC frame: not compressed, a 4-byte
    /// length, then the message (empty for the server as a whole: proto3 leaves out defaults).
    static func message(service: String) -> [UInt8] {
        var message: [UInt8] = []
        if !service.isEmpty {
            message.append(0x0A)
            var length = service.utf8.count
            while length >= 0x80 {
                message.append(UInt8(length & 0x7F) | 0x80)
                length >>= 7
            }
            message.append(UInt8(length))
            message += service.utf8
        }
        let count = UInt32(message.count)
        return [0, UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)] + message
    }

    /// The serving status in a gRPC-framed `HealthCheckResponse { ServingStatus status = 1; }`:
    /// nil when the frame is not whole, compressed, or holds no status (0, UNKNOWN, by proto3's rule
    /// when the message is whole but the field absent).
    static func servingStatus(in frame: [UInt8]) -> Int? {
        guard frame.count >= 5, frame[0] == 0 else { return nil }
        let length = Int(frame[1]) << 24 | Int(frame[2]) << 16 | Int(frame[3]) << 8 | Int(frame[4])
        guard frame.count >= 5 + length else { return nil }
        var index = 5, status = 0
        let end = 5 + length
        func varint() -> Int? {
            var value = 0, shift = 0
            while index < end, shift < 64 {
                let byte = frame[index]
                index += 1
                value |= Int(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while index < end {
            guard let key = varint() else { return nil }
            switch key & 7 {
            case 0:
                guard let value = varint() else { return nil }
                if key >> 3 == 1 { status = value }
            case 1: index += 8
            case 2:
                guard let length = varint(), length >= 0, length <= end - index else { return nil }
                index += length
            case 5: index += 4
            default: return nil
            }
        }
        return index == end ? status : nil
    }

    /// Percent-decodes a `grpc-message` (the spec's encoding of anything outside printable ASCII).
    static func decodeMessage(_ text: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Fails the call when the connection itself fails: TLS, a peer that does not speak HTTP/2, a close.
private final class ConnectionWatcher: ChannelInboundHandler {
    typealias InboundIn = Any
    let promise: EventLoopPromise<GRPCProbe.Answer>
    let host: String

    init(promise: EventLoopPromise<GRPCProbe.Answer>, host: String) {
        self.promise = promise
        self.host = host
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let tls = TLSClient.describe(error, host: host) {
            promise.fail(FetchError.tls(tls))
        } else {
            promise.fail(FetchError.protocolError("not an HTTP/2 (gRPC) answer: \(error)"))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(FetchError.closedEarly)
        context.fireChannelInactive()
    }
}

/// One `Check` call on its own stream: writes the request, collects the answer's headers,
/// message (at most 64 KiB) and trailers.
private final class HealthCall: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    let request: HPACKHeaders
    let body: [UInt8]
    let promise: EventLoopPromise<GRPCProbe.Answer>
    let host: String
    private var answer = GRPCProbe.Answer()
    private var message: [UInt8] = []
    private var sent = false

    init(request: HPACKHeaders, body: [UInt8], promise: EventLoopPromise<GRPCProbe.Answer>, host: String) {
        self.request = request
        self.body = body
        self.promise = promise
        self.host = host
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { send(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context: context)
        context.fireChannelActive()
    }

    private func send(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        context.write(wrapOutboundOut(.headers(.init(headers: request))), promise: nil)
        let data = context.channel.allocator.buffer(bytes: body)
        context.writeAndFlush(wrapOutboundOut(.data(.init(data: .byteBuffer(data), endStream: true))), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            if answer.httpStatus == nil {
                answer.httpStatus = headers.headers.first(name: ":status")
                answer.contentType = headers.headers.first(name: "content-type")
            }
            // The trailers, or a trailers-only answer (an error with no message).
            if let status = headers.headers.first(name: "grpc-status") { answer.grpcStatus = Int(status) }
            if let text = headers.headers.first(name: "grpc-message") { answer.grpcMessage = GRPCProbe.decodeMessage(text) }
            if headers.endStream { finish(context: context) }
        case .data(let frame):
            if case .byteBuffer(let buffer) = frame.data, message.count < 64 * 1024 {
                message += buffer.readableBytesView.prefix(64 * 1024 - message.count)
            }
            if frame.endStream { finish(context: context) }
        case .rstStream(let code):
            promise.fail(FetchError.protocolError("the server reset the call (\(code))"))
        default:
            break
        }
    }

    private func finish(context: ChannelHandlerContext) {
        answer.servingStatus = GRPCProbe.servingStatus(in: message)
        // Both sides have ended the stream: it closes by itself, then the connection follows.
        promise.succeed(answer)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let failure = TLSClient.fetchError(error, host: host) else { return }
        promise.fail(failure)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(FetchError.closedEarly)
        context.fireChannelInactive()
    }
}
