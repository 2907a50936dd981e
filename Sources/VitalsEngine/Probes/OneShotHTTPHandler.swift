import NIOCore
import VitalsCore

/// One HTTP/1.1 GET on a connection of its own (`Connection: close`), read straight from the
/// bytes: the status line, the headers it needs (`Content-Length`, `Transfer-Encoding`), and the
/// body up to a cap. Health probes run thousands of times a second, and a whole codec pipeline
/// per probe (encoder, decoder, their buffers) cost more than the request itself.
///
/// Anything that is not a well-formed response fails the promise with a reason; nothing from the
/// wire is trusted for sizes beyond the caps.
final class OneShotHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The most header bytes read before giving up on a response.
    static let headLimit = 64 * 1024

    private enum Body {
        case length(Int)
        case chunked
        case untilClose
        case none
    }

    private enum State {
        case head
        case body(status: Int, reason: String, Body)
        case done
    }

    private let request: ByteBuffer
    private let promise: EventLoopPromise<HTTPResponse>
    private let start: NIODeadline
    private let maxBody: Int
    private var state = State.head
    private var buffer = ByteBuffer()

    init(request: ByteBuffer, promise: EventLoopPromise<HTTPResponse>, start: NIODeadline, maxBody: Int) {
        self.request = request
        self.promise = promise
        self.start = start
        self.maxBody = maxBody
    }

    /// The request bytes for `target`.
    static func request(for target: HTTPTarget, allocator: ByteBufferAllocator) -> ByteBuffer {
        let host = target.port == 80 ? target.host : AddressSyntax.join(target.host, target.port)
        return allocator.buffer(string: "GET \(target.path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: vitals/0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n")
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        guard case .done = state else {
            buffer.writeBuffer(&chunk)
            advance(context: context, closed: false)
            return
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        advance(context: context, closed: true)
        if case .done = state {} else { fail(context: context, .closedEarly) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, .protocolError(String(describing: error)))
    }

    /// Parses as far as the bytes go; completes the promise when the response is whole.
    private func advance(context: ChannelHandlerContext, closed: Bool) {
        if case .head = state {
            guard let end = buffer.readableBytesView.firstRange(of: [13, 10, 13, 10]) else {
                if buffer.readableBytes > Self.headLimit { fail(context: context, .protocolError("response headers longer than 64 KB")) }
                return
            }
            let headLength = buffer.readableBytesView.distance(from: buffer.readableBytesView.startIndex, to: end.upperBound)
            guard let head = buffer.readString(length: headLength) else { return }
            switch Self.parseHead(head) {
            case .failure(let error):
                fail(context: context, error)
                return
            case .success(let parsed):
                if (100..<200).contains(parsed.status) {
                    // An interim answer (100 Continue): the real one follows.
                    advance(context: context, closed: closed)
                    return
                }
                state = .body(status: parsed.status, reason: parsed.reason, parsed.body)
            }
        }
        guard case .body(let status, let reason, let body) = state else { return }
        switch body {
        case .none:
            succeed(context: context, status: status, reason: reason, body: ByteBuffer(), truncated: false)
        case .length(let length):
            if buffer.readableBytes >= length || buffer.readableBytes >= maxBody {
                succeed(context: context, status: status, reason: reason, body: buffer, truncated: length > maxBody)
            } else if closed {
                fail(context: context, .closedEarly)
            }
        case .untilClose:
            if buffer.readableBytes >= maxBody {
                succeed(context: context, status: status, reason: reason, body: buffer, truncated: true)
            } else if closed {
                succeed(context: context, status: status, reason: reason, body: buffer, truncated: false)
            }
        case .chunked:
            switch Self.dechunk(buffer, limit: maxBody) {
            case .complete(let body, let truncated):
                succeed(context: context, status: status, reason: reason, body: body, truncated: truncated)
            case .incomplete:
                if closed { fail(context: context, .closedEarly) }
            case .malformed(let why):
                fail(context: context, .protocolError(why))
            }
        }
    }

    private func succeed(context: ChannelHandlerContext, status: Int, reason: String, body: ByteBuffer, truncated: Bool) {
        state = .done
        let kept = body.getSlice(at: body.readerIndex, length: min(body.readableBytes, maxBody)) ?? ByteBuffer()
        let elapsed = NIODeadline.now() - start
        promise.succeed(HTTPResponse(
            status: status, reason: reason, body: String(buffer: kept), truncated: truncated || body.readableBytes > maxBody,
            latency: .nanoseconds(elapsed.nanoseconds)
        ))
        context.close(promise: nil)
    }

    private func fail(context: ChannelHandlerContext, _ error: FetchError) {
        if case .done = state { return }
        state = .done
        promise.fail(error)
        context.close(promise: nil)
    }

    private struct Head {
        var status: Int
        var reason: String
        var body: Body
    }

    /// The status line and the headers that say how the body ends.
    private static func parseHead(_ text: String) -> Result<Head, FetchError> {
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true).makeIterator()
        guard let statusLine = lines.next() else { return .failure(.protocolError("empty response")) }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]), (100...599).contains(status) else {
            return .failure(.protocolError("not an HTTP/1.x status line: '\(statusLine.prefix(60))'".sanitizedForTerminal))
        }
        let reason = parts.count == 3 ? String(parts[2]) : ""
        var length: Int?
        var chunked = false
        while let line = lines.next() {
            guard let colon = line.firstIndex(of: ":") else { return .failure(.protocolError("malformed header line")) }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces
            if name == "content-length" {
                guard let number = Int(value), number >= 0 else { return .failure(.protocolError("bad Content-Length '\(value.prefix(20))'".sanitizedForTerminal)) }
                length = number
            } else if name == "transfer-encoding" {
                chunked = value.lowercased().hasSuffix("chunked")
            }
        }
        let body: Body = if status == 204 || status == 304 { .none } else if chunked { .chunked } else if let length { length == 0 ? .none : .length(length) } else { .untilClose }
        return .success(Head(status: status, reason: reason, body: body))
    }

    private enum Dechunked {
        case complete(ByteBuffer, truncated: Bool)
        case incomplete
        case malformed(String)
    }

    /// The body of a chunked stream, when the stream is whole (or the kept part is full).
    private static func dechunk(_ raw: ByteBuffer, limit: Int) -> Dechunked {
        var input = raw
        var body = ByteBuffer()
        while true {
            guard let lineEnd = input.readableBytesView.firstRange(of: [13, 10]) else { return .incomplete }
            let lineLength = input.readableBytesView.distance(from: input.readableBytesView.startIndex, to: lineEnd.lowerBound)
            guard let sizeLine = input.readString(length: lineLength) else { return .incomplete }
            input.moveReaderIndex(forwardBy: 2)
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces } ?? ""
            guard sizeText.count <= 8, let size = Int(sizeText, radix: 16) else { return .malformed("bad chunk size") }
            if size == 0 { return .complete(body, truncated: false) }
            guard input.readableBytes >= size + 2 else {
                // Keep what is here; a body already past the limit is complete enough.
                if body.readableBytes + input.readableBytes >= limit {
                    var partial = input.readSlice(length: min(size, input.readableBytes)) ?? ByteBuffer()
                    body.writeBuffer(&partial)
                    return .complete(body, truncated: true)
                }
                return .incomplete
            }
            var data = input.readSlice(length: size) ?? ByteBuffer()
            body.writeBuffer(&data)
            input.moveReaderIndex(forwardBy: 2)
            if body.readableBytes >= limit { return .complete(body, truncated: true) }
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let trimmed = drop { $0 == " " || $0 == "\t" }
        return String(trimmed.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
