import NIOCore
import NIOPosix
import VitalsCore

/// Probes a TCP port: passing when a connection is accepted within the timeout; with `send`, those
/// bytes are written, and with `expect`, the answer (up to 64 KiB, within the same timeout) must
/// contain that text.
public struct TCPProbe: Probe {
    let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) { self.group = group }

    public func run(_ check: CheckConfig) async -> ProbeOutcome {
        guard case .tcp(let host, let port) = check.target else {
            return ProbeOutcome(status: .critical, output: "not a tcp check", latency: nil)
        }
        return await withRetries(check.retries, within: check.interval, responseTimeBelow: check.responseTimeBelow) {
            await attempt(host: host, port: port, timeout: check.timeout, send: check.send, expect: check.expect)
        }
    }

    func attempt(host: String, port: Int, timeout: Duration, send: String? = nil, expect: String? = nil) async -> ProbeOutcome {
        let target = AddressSyntax.join(host, port)
        let start = ContinuousClock.now
        let limit = TimeAmount.nanoseconds(timeout.nanoseconds)
        do {
            let loop = group.next()
            let connected = loop.makePromise(of: (any Channel).self)
            let answer = loop.makePromise(of: [UInt8].self)
            // Every path completes it (a second completion is ignored): NIO reports a dropped promise.
            defer { answer.fail(CancellationError()) }
            let reader = ExpectHandler(expect: expect.map { Array($0.utf8) }, answer: answer)
            ClientBootstrap(group: loop)
                .connectTimeout(limit)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(reader) }
                }
                .connect(to: host, port: port)
                .whenComplete { result in
                    switch result {
                    case .success(let channel):
                        // Closed at once if the wait was cancelled before the connection came.
                        connected.futureResult.whenFailure { _ in channel.close(promise: nil) }
                        connected.succeed(channel)
                    case .failure(let error):
                        connected.fail(error)
                    }
                }
            let channel = try await connected.valueOrCancellation()
            guard send != nil || expect != nil else {
                let latency = ContinuousClock.now - start
                try? await channel.close()
                return ProbeOutcome(status: .passing, output: "TCP connect \(target): Success", latency: latency)
            }
            return await exchange(channel, reader: reader, target: target, start: start, timeout: timeout, send: send, expect: expect)
        } catch {
            let why = describeConnectError(error, host: host, port: port, timeout: timeout)
            let timedOut = why.contains("timed out")
            return ProbeOutcome(status: .critical, output: "TCP connect \(target): \(why)", latency: timedOut ? timeout : nil)
        }
    }

    /// Writes `send`, then waits for `expect` in the answer (or, with no `expect`, for the write).
    private func exchange(
        _ channel: any Channel, reader: ExpectHandler, target: String, start: ContinuousClock.Instant,
        timeout: Duration, send: String?, expect: String?
    ) async -> ProbeOutcome {
        let answer = reader.answer
        let left = timeout - (ContinuousClock.now - start)
        let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(max(1, left.nanoseconds))) {
            answer.fail(ExpectHandler.TimedOut(received: reader.received))
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        if let send {
            do {
                try await channel.writeAndFlush(ByteBuffer(string: send))
            } catch {
                return ProbeOutcome(status: .critical, output: "TCP \(target): connected, but sending failed: \(error)".sanitizedForTerminal, latency: nil)
            }
        }
        guard let expect else {
            return ProbeOutcome(status: .passing, output: "TCP \(target): connected, sent \(send?.utf8.count ?? 0) bytes", latency: ContinuousClock.now - start)
        }
        do {
            let received = try await answer.futureResult.get()
            let text = Self.quote(received)
            return ProbeOutcome(status: .passing, output: "TCP \(target): answered \(text)", latency: ContinuousClock.now - start)
        } catch let error as ExpectHandler.Unmatched {
            return ProbeOutcome(status: .critical, output: "TCP \(target): expected \(Self.quote(Array(expect.utf8))), got \(Self.quote(error.received))\(error.closed ? " (then closed)" : "")", latency: nil)
        } catch {
            let received = (error as? ExpectHandler.TimedOut)?.received ?? []
            return ProbeOutcome(
                status: .critical,
                output: "TCP \(target): no \(Self.quote(Array(expect.utf8))) within \(timeout.goString)" + (received.isEmpty ? "" : ", got \(Self.quote(received))"),
                latency: timeout
            )
        }
    }

    /// Received bytes as a short, visible, quoted text.
    static func quote(_ bytes: [UInt8]) -> String {
        let text = LogText.visible(LogText.decode(bytes.prefix(200)[...]))
        return "\"" + text + (bytes.count > 200 ? "…" : "") + "\""
    }
}

/// Collects what a TCP check's target answers until the expected text is in it.
final class ExpectHandler: ChannelInboundHandler, @unchecked Sendable {
    // Lives on one event loop: the channel's.
    typealias InboundIn = ByteBuffer

    struct Unmatched: Error {
        var received: [UInt8]
        var closed: Bool
    }

    struct TimedOut: Error {
        var received: [UInt8]
    }

    static let limit = 64 * 1024
    let expect: [UInt8]?
    let answer: EventLoopPromise<[UInt8]>
    var received: [UInt8] = []

    init(expect: [UInt8]?, answer: EventLoopPromise<[UInt8]>) {
        self.expect = expect
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard received.count < Self.limit else { return }
        received += unwrapInboundIn(data).readableBytesView.prefix(Self.limit - received.count)
        guard let expect else { return }
        if received.count >= expect.count, received.indices.dropLast(expect.count - 1).contains(where: { received[$0..<$0 + expect.count].elementsEqual(expect) }) {
            answer.succeed(received)
        } else if received.count >= Self.limit {
            answer.fail(Unmatched(received: received, closed: false))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        answer.fail(Unmatched(received: received, closed: true))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        answer.fail(Unmatched(received: received, closed: true))
        context.close(promise: nil)
    }
}
