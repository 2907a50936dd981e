import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import VitalsCore

/// Serves `POST /v1/logs`: a body of JSON lines, one record per line (`time`, `node`,
/// `service`, `level`, `message`, free fields). Every line is kept — one that does not parse is
/// stored raw with its reason — and the answer says how many were read and why any were not:
/// `{"accepted":N,"unparsed":M,"errors":["line 3: …"]}`.
final class LogPushServer: Sendable {
    typealias Deliver = @Sendable ([(LogEntry, source: String)]) -> Void

    /// The largest body taken; a bigger one is refused with 413 before it is read.
    static let bodyLimit = 16 * 1024 * 1024

    private let address: (host: String, port: Int)
    private let group: any EventLoopGroup
    private let deliver: Deliver
    private let channel = Mutex<(any Channel)?>(nil)
    /// Open connections, at most `limit`: the rest are closed as they are accepted, as on the API.
    let connections: ConnectionCounter
    private let requestTimeout: TimeAmount
    private let idleTimeout: TimeAmount

    /// - Parameters:
    ///   - limit: the most connections open at once.
    ///   - requestTimeout: a request must arrive whole this soon after the connection opens…
    ///   - idleTimeout: …or after the previous answer on a kept-alive connection.
    init(
        address: (host: String, port: Int), group: any EventLoopGroup, limit: Int = 256, requestTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(30), deliver: @escaping Deliver
    ) {
        self.address = address
        self.group = group
        self.deliver = deliver
        connections = ConnectionCounter(limit: limit)
        self.requestTimeout = .nanoseconds(requestTimeout.nanoseconds)
        self.idleTimeout = .nanoseconds(idleTimeout.nanoseconds)
    }

    func start() async throws {
        let deliver = self.deliver
        let connections = self.connections
        let timeouts = (request: requestTimeout, idle: idleTimeout)
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard connections.acquire() else { return channel.close() }
                channel.closeFuture.whenComplete { _ in connections.release() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(Handler(deliver: deliver, connections: connections, timeouts: timeouts))
                }
            }
            .bind(host: address.host, port: address.port).get()
        channel.withLock { $0 = bound }
    }

    func stop() async {
        let open = channel.withLock { channel in defer { channel = nil }; return channel }
        try? await open?.close()
    }

    /// Reads a body of JSON lines into entries, with the reasons lines did not parse.
    static func read(_ body: ByteBuffer) -> (entries: [LogEntry], errors: [String]) {
        var entries: [LogEntry] = []
        var errors: [String] = []
        body.withUnsafeReadableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            var number = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: 10) ?? bytes.count
                number += 1
                let line = Array(bytes[start..<end])[...]
                start = end + 1
                if line.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) { continue }
                let entry = JSONLogLine.parse(line)
                if let reason = entry.parseError, errors.count < 20 { errors.append("line \(number): \(reason)") }
                entries.append(entry)
            }
        }
        return (entries, errors)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let deliver: Deliver
        let connections: ConnectionCounter
        let timeouts: (request: TimeAmount, idle: TimeAmount)
        var head: HTTPRequestHead?
        var body = ByteBuffer()
        var refused = false
        var timer: Scheduled<Void>?
        weak var context: ChannelHandlerContext?

        init(deliver: @escaping Deliver, connections: ConnectionCounter, timeouts: (request: TimeAmount, idle: TimeAmount)) {
            self.deliver = deliver
            self.connections = connections
            self.timeouts = timeouts
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
            arm(timeouts.request)
        }

        func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

        /// The next request must be whole within `amount`: a slow or endless one is answered 408
        /// and closed, an idle connection closed.
        private func arm(_ amount: TimeAmount) {
            timer?.cancel()
            guard let context else { return }
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: amount) { bound.value.timedOut() }
        }

        private func timedOut() {
            guard let context else { return }
            guard head != nil, !refused else {
                context.close(promise: nil)
                return
            }
            connections.timedOut()
            answer(context, .requestTimeout, #"{"error":"the request did not arrive whole within the time allowed"}"#, close: true)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let request):
                head = request
                body.clear()
                refused = false
                let path = request.uri.split(separator: "?").first.map(String.init) ?? request.uri
                if path != "/v1/logs" {
                    return answer(context, .notFound, #"{"error":"not found: POST JSON lines to /v1/logs"}"#)
                }
                if request.method != .POST {
                    return answer(context, .methodNotAllowed, #"{"error":"only POST is served here"}"#, extra: [("Allow", "POST")])
                }
                if let length = request.headers.first(name: "content-length").flatMap(Int.init), length > LogPushServer.bodyLimit {
                    answer(context, .payloadTooLarge, #"{"error":"the body is over 16 MiB; send fewer lines at a time"}"#, close: true)
                }
            case .body(var chunk):
                guard !refused else { return }
                if body.readableBytes + chunk.readableBytes > LogPushServer.bodyLimit {
                    return answer(context, .payloadTooLarge, #"{"error":"the body is over 16 MiB; send fewer lines at a time"}"#, close: true)
                }
                body.writeBuffer(&chunk)
            case .end:
                guard !refused, head != nil else { return }
                let source = context.remoteAddress?.ipAddress ?? "?"
                let (entries, errors) = LogPushServer.read(body)
                if !entries.isEmpty { deliver(entries.map { ($0, source) }) }
                let quoted = errors.map { "\"" + $0.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\"" }
                let unparsed = entries.filter { $0.parseError != nil }.count
                answer(
                    context, .ok,
                    #"{"accepted":\#(entries.count - unparsed),"unparsed":\#(unparsed),"errors":[\#(quoted.joined(separator: ","))]}"#
                )
                head = nil
                body.clear()
            }
        }

        /// Answers once; whatever the request still sends is ignored.
        private func answer(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ text: String, extra: [(String, String)] = [], close: Bool = false) {
            refused = status != .ok
            if close { timer?.cancel() } else { arm(timeouts.idle) }
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(text.utf8.count + 1)")] + extra)
            if close { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text + "\n")))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if close { done.whenComplete { _ in context.close(promise: nil) } }
        }
    }
}
