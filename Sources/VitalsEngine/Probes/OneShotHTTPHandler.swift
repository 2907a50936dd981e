import Foundation
import NIOCore
import NIOSSL
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
    /// The host asked, to name in TLS errors.
    private let host: String
    private var state = State.head
    /// When the server's certificate stops being valid (TLS connections).
    private var certificateExpiry: Date?
    private var buffer = ByteBuffer()

    /// Whether the connection speaks TLS (then the certificate's end is noted).
    private let tls: Bool

    init(request: ByteBuffer, promise: EventLoopPromise<HTTPResponse>, start: NIODeadline, maxBody: Int, host: String = "", tls: Bool = false) {
        self.request = request
        self.tls = tls
        self.host = host
        self.promise = promise
        self.start = start
        self.maxBody = maxBody
    }

    /// The request bytes for `target`.
    static func request(for target: HTTPTarget, allocator: ByteBufferAllocator) -> ByteBuffer {
        let host = target.hostHeader
        return allocator.buffer(string: "GET \(target.path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: vitals/0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n")
    }

    /// The request bytes for `method` with `body` (no body for an empty one).
    static func request(
        method: String, for target: HTTPTarget, body: [UInt8], contentType: String, headers: [(String, String)] = [], allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        let host = target.hostHeader
        var head = "\(method) \(target.path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: vitals/0.1\r\nAccept: */*\r\nConnection: close\r\n"
        // Header names and values come from the config or etcd: no line breaks may smuggle a header in.
        for (name, value) in headers where !(name + value).contains(where: { $0 == "\r" || $0 == "\n" }) {
            head += "\(name): \(value)\r\n"
        }
        if !body.isEmpty || method == "POST" || method == "PUT" {
            head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        }
        var buffer = allocator.buffer(capacity: head.utf8.count + 2 + body.count)
        buffer.writeString(head + "\r\n")
        buffer.writeBytes(body)
        return buffer
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .done = state { return }
        // The handshake is over by the first byte of the answer: note when the certificate ends.
        if tls, certificateExpiry == nil, let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self),
           let end = tls.peerCertificate?.notValidAfter {
            certificateExpiry = Date(timeIntervalSince1970: TimeInterval(end))
        }
        var chunk = unwrapInboundIn(data)
        buffer.writeBuffer(&chunk)
        advance(context: context, closed: false)
    }

    func channelInactive(context: ChannelHandlerContext) {
        advance(context: context, closed: true)
        fail(context: context, .closedEarly)  // does nothing when the answer was already whole
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // (Nothing for a server that closes without a TLS close_notify: the close that follows ends the body.)
        guard let failure = TLSClient.fetchError(error, host: host) else { return }
        fail(context: context, failure)
    }

    /// Parses as far as the bytes go; completes the promise when the response is whole.
    private func advance(context: ChannelHandlerContext, closed: Bool) {
        if case .head = state {
            guard let headLength = buffer.withUnsafeReadableBytes({ Self.endOfHead(in: $0) }) else {
                if buffer.readableBytes > Self.headLimit { fail(context: context, .protocolError("response headers longer than 64 KB")) }
                // A TLS record (an alert or a handshake: 0x15 or 0x16, then version 3.x) where an
                // HTTP status line should be: the port speaks TLS.
                if let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), first == 0x15 || first == 0x16,
                   buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) == 0x03 {
                    fail(context: context, .protocolError("the server answered in TLS (an https:// URL?)"))
                }
                return
            }
            let parsed = buffer.withUnsafeReadableBytes { Self.parseHead(UnsafeRawBufferPointer(rebasing: $0[..<headLength])) }
            buffer.moveReaderIndex(forwardBy: headLength)
            switch parsed {
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
            latency: .nanoseconds(elapsed.nanoseconds), certificateExpiry: certificateExpiry
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

    /// The length of the head (through the blank line), or nil when it has not all arrived.
    private static func endOfHead(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = 3
        while index < bytes.count {
            if bytes[index] == 10, bytes[index - 1] == 13, bytes[index - 2] == 10, bytes[index - 3] == 13 { return index + 1 }
            index += 1
        }
        return nil
    }

    /// The status line and the headers that say how the body ends, read from the head's bytes
    /// (ASCII; no String per header, since this runs for every probe).
    private static func parseHead(_ head: UnsafeRawBufferPointer) -> Result<Head, FetchError> {
        let lines = splitLines(head)
        guard let statusLine = lines.first, !statusLine.isEmpty else { return .failure(.protocolError("empty response")) }
        // "HTTP/1.x SSS reason"
        let prefix: [UInt8] = Array("HTTP/1.".utf8)
        func digit(_ offset: Int) -> Int? {
            offset < statusLine.count && (48...57).contains(statusLine[offset]) ? Int(statusLine[offset] - 48) : nil
        }
        guard statusLine.count >= 12, statusLine.starts(with: prefix), statusLine[9 - 1] == 32,
              let a = digit(9), let b = digit(10), let c = digit(11), statusLine.count == 12 || statusLine[12] == 32,
              (1...5).contains(a) else {
            let shown = String(decoding: statusLine.prefix(60), as: UTF8.self)
            return .failure(.protocolError("not an HTTP/1.x status line: '\(shown)'".sanitizedForTerminal))
        }
        let status = a * 100 + b * 10 + c
        let reason = statusLine.count > 13 ? String(decoding: statusLine[13...], as: UTF8.self).sanitizedForTerminal : ""
        var length: Int?
        var chunked = false
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: 58) else { return .failure(.protocolError("malformed header line")) }
            let name = line[line.startIndex..<colon]
            let value = trimmed(line[(colon + 1)...])
            if equalsIgnoringCase(name, "content-length") {
                guard !value.isEmpty, value.count <= 18, value.allSatisfy({ (48...57).contains($0) }) else {
                    let shown = String(decoding: value.prefix(20), as: UTF8.self)
                    return .failure(.protocolError("bad Content-Length '\(shown)'".sanitizedForTerminal))
                }
                length = value.reduce(0) { $0 * 10 + Int($1 - 48) }
            } else if equalsIgnoringCase(name, "transfer-encoding") {
                chunked = value.count >= 7 && equalsIgnoringCase(value.suffix(7), "chunked")
            }
        }
        let body: Body = if status == 204 || status == 304 { .none } else if chunked { .chunked } else if let length { length == 0 ? .none : .length(length) } else { .untilClose }
        return .success(Head(status: status, reason: reason, body: body))
    }

    /// The lines of a head, without their CR LF.
    private static func splitLines(_ bytes: UnsafeRawBufferPointer) -> [ArraySlice<UInt8>] {
        let all = Array(bytes)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index + 1 < all.count {
            if all[index] == 13, all[index + 1] == 10 {
                lines.append(all[start..<index])
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        if start < all.count { lines.append(all[start...]) }
        return lines
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 32 || first == 9 { slice = slice.dropFirst() }
        while let last = slice.last, last == 32 || last == 9 { slice = slice.dropLast() }
        return slice
    }

    private static func equalsIgnoringCase(_ bytes: some Collection<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { ($0 | 0x20) == $1 || $0 == $1 }
        }
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
            guard let lineLength = input.withUnsafeReadableBytes({ bytes -> Int? in
                var index = 0
                while index + 1 < bytes.count {
                    if bytes[index] == 13, bytes[index + 1] == 10 { return index }
                    index += 1
                }
                return nil
            }) else { return .incomplete }
            guard let sizeLine = input.readBytes(length: lineLength) else { return .incomplete }
            input.moveReaderIndex(forwardBy: 2)
            let digits = trimmed(sizeLine.prefix { $0 != 59 }[...])  // up to ';' (chunk extensions)
            guard !digits.isEmpty, digits.count <= 8, let size = Int(String(decoding: digits, as: UTF8.self), radix: 16) else {
                return .malformed("bad chunk size")
            }
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
