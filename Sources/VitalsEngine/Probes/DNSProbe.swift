import Foundation
import NIOCore
import NIOPosix
import Synchronization
import VitalsCore

/// Asks a DNS server for a name's records over UDP: passing when records of the type come back
/// (and, with `expect`, one of them contains it); NXDOMAIN, an empty answer, another code, a
/// malformed answer or silence until the timeout are critical, each said plainly.
public struct DNSProbe: Probe {
    let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) { self.group = group }

    public func run(_ check: CheckConfig) async -> ProbeOutcome {
        guard case .dns(let name, let record, let server) = check.target else {
            return ProbeOutcome(status: .critical, output: "not a dns check", latency: nil)
        }
        return await withRetries(check.retries, within: check.interval, responseTimeBelow: check.responseTimeBelow) {
            await attempt(name: name, record: record, server: server ?? Self.systemServer(), timeout: check.timeout, expect: check.expect)
        }
    }

    private static let knownServer = Mutex<(server: String, at: ContinuousClock.Instant)?>(nil)

    /// The first `nameserver` of /etc/resolv.conf, else 127.0.0.1; the file is read again at
    /// most every 30 s, not on every probe.
    static func systemServer() -> String {
        if let known = knownServer.withLock({ $0 }), ContinuousClock.now - known.at < .seconds(30) { return known.server }
        let server = readSystemServer()
        knownServer.withLock { $0 = (server, ContinuousClock.now) }
        return server
    }

    private static func readSystemServer() -> String {
        let text = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            if words.count >= 2, words[0] == "nameserver" { return String(words[1]) }
        }
        return "127.0.0.1"
    }

    func attempt(name: String, record: String, server: String, timeout: Duration, expect: String?) async -> ProbeOutcome {
        let (host, port) = AddressSyntax.hostPort(server) ?? (server, 53)
        let what = "DNS \(record) \(name) @\(AddressSyntax.join(host, port))"
        guard let type = DNSMessage.types[record] else { return ProbeOutcome(status: .critical, output: "\(what): unknown record type", latency: nil) }
        let id = UInt16.random(in: 0...UInt16.max)
        let start = ContinuousClock.now
        let query: [UInt8]
        do {
            query = try DNSMessage.query(id: id, name: name, type: type)
        } catch {
            return ProbeOutcome(status: .critical, output: "\(what): \(error)", latency: nil)
        }
        let loop = group.next()
        let reply = loop.makePromise(of: [UInt8].self)
        defer { reply.fail(CancellationError()) }
        do {
            let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
            let channel = try await DatagramBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ReplyHandler(id: id, reply: reply)) }
                }
                .bind(host: address.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).get()
            defer { channel.close(promise: nil) }
            let deadline = loop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { reply.fail(ChannelError.connectTimeout(.nanoseconds(timeout.nanoseconds))) }
            defer { deadline.cancel() }
            try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(bytes: query)))
            let bytes = try await reply.futureResult.get()
            let latency = ContinuousClock.now - start
            let answer = try DNSMessage.answer(bytes, id: id, type: type)
            let shown = answer.records.prefix(4).joined(separator: ", ") + (answer.records.count > 4 ? ", …" : "")
            guard answer.code == "NOERROR" else { return ProbeOutcome(status: .critical, output: "\(what): \(answer.code)", latency: latency) }
            guard !answer.records.isEmpty else { return ProbeOutcome(status: .critical, output: "\(what): no \(record) record", latency: latency) }
            if let expect, !answer.records.contains(where: { $0.contains(expect) }) {
                return ProbeOutcome(status: .critical, output: "\(what): expected \(expect), got \(shown)".sanitizedForTerminal, latency: latency)
            }
            return ProbeOutcome(status: .passing, output: "\(what): \(shown)".sanitizedForTerminal, latency: latency)
        } catch let problem as DNSMessage.Problem {
            return ProbeOutcome(status: .critical, output: "\(what): bad answer: \(problem)", latency: nil)
        } catch ChannelError.connectTimeout {
            return ProbeOutcome(status: .critical, output: "\(what): no answer within \(timeout.goString)", latency: timeout)
        } catch {
            return ProbeOutcome(status: .critical, output: "\(what): \(error)".sanitizedForTerminal, latency: nil)
        }
    }

    /// Takes the first datagram that answers our query's id.
    private final class ReplyHandler: ChannelInboundHandler, @unchecked Sendable {
        // Lives on its channel's event loop.
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let id: UInt16
        let reply: EventLoopPromise<[UInt8]>

        init(id: UInt16, reply: EventLoopPromise<[UInt8]>) {
            self.id = id
            self.reply = reply
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).data.readableBytesView)
            // Another query's answer (or noise) is not ours: keep waiting.
            guard bytes.count >= 2, UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id else { return }
            reply.succeed(bytes)
        }
    }
}
