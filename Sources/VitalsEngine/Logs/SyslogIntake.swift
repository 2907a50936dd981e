import Foundation
import NIOCore
import NIOPosix
import Synchronization
import VitalsCore
import VitalsLogFormats

/// Listens for syslog over UDP (one message per datagram) and TCP (octet counting or newline
/// framing), as `logger -n HOST -P PORT [--tcp]` and rsyslog send it, and hands each message,
/// parsed, with the sender's address, to `deliver`. A message that does not parse is delivered
/// raw with its reason; nothing is dropped silently.
final class SyslogIntake: Sendable {
    /// Takes the messages one read brought, each with the address that sent it.
    typealias Deliver = @Sendable ([(SyslogMessage, source: String)]) -> Void

    private let config: LogIntakeConfig
    private let group: any EventLoopGroup
    private let deliver: Deliver
    private let channels = Mutex<[any Channel]>([])
    /// Open TCP connections, at most `limit`: the rest are closed as they are accepted, so a
    /// flood of idle sockets cannot take the descriptors probes and scrapes need.
    let connections: ConnectionCounter
    /// A message begun must end this soon (a slowloris is cut)…
    private let partTimeout: TimeAmount
    /// …and a connection that sends nothing for this long is closed (senders reconnect).
    private let idleTimeout: TimeAmount

    init(
        config: LogIntakeConfig, group: any EventLoopGroup, limit: Int = 256, partTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(300), deliver: @escaping Deliver
    ) {
        self.config = config
        self.group = group
        self.deliver = deliver
        connections = ConnectionCounter(limit: limit)
        self.partTimeout = .nanoseconds(partTimeout.nanoseconds)
        self.idleTimeout = .nanoseconds(idleTimeout.nanoseconds)
    }

    /// Binds the configured addresses.
    /// - Throws: when an address cannot be bound (in use, not local).
    func start() async throws {
        let deliver = self.deliver
        if let udp = config.syslogUDP {
            // No SO_REUSEADDR: on UDP it would let any local user bind the same port beside Vitals
            // and receive the datagrams; the bind is exclusive and a port in use is an error.
            let channel = try await DatagramBootstrap(group: group)
                // A burst must wait in the kernel, not be dropped: as big a buffer as we may have,
                // and many datagrams per wake-up. (Not recvmmsg: NIO splits one buffer between the
                // datagrams of a vector read, which would cut long messages.) Each read has room for
                // the longest message kept, plus one byte to tell that it was longer.
                .channelOption(.socketOption(.so_rcvbuf), value: 8 * 1024 * 1024)
                .channelOption(.maxMessagesPerRead, value: 64)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: SyslogMessage.sizeLimit + 1))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(DatagramHandler(deliver: deliver)) }
                }
                .bind(host: udp.host, port: udp.port).get()
            channels.withLock { $0.append(channel) }
        }
        if let tcp = config.syslogTCP {
            let connections = self.connections
            let timeouts = (part: partTimeout, idle: idleTimeout)
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    guard connections.acquire() else { return channel.close() }
                    channel.closeFuture.whenComplete { _ in connections.release() }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(StreamHandler(deliver: deliver, connections: connections, timeouts: timeouts))
                    }
                }
                .bind(host: tcp.host, port: tcp.port).get()
            channels.withLock { $0.append(channel) }
        }
    }

    /// Datagrams the kernel dropped for the UDP listener because it could not keep up (the
    /// `drops` column of /proc/net/udp); nil when there is no UDP listener or no such file.
    func kernelDrops() -> Int? {
        guard let udp = config.syslogUDP, let table = try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8) else { return nil }
        var address = in_addr()
        guard inet_pton(AF_INET, udp.host, &address) == 1 else { return nil }
        let local = String(format: "%08X:%04X", address.s_addr, udp.port)
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            if fields.count > 12, fields[1] == local, let drops = Int(fields[fields.count - 1]) { return drops }
        }
        return nil
    }

    func stop() async {
        let open = channels.withLock { channels in defer { channels = [] }; return channels }
        for channel in open { try? await channel.close() }
    }

    private final class DatagramHandler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let deliver: Deliver
        var batch: [(SyslogMessage, source: String)] = []

        init(deliver: @escaping Deliver) { self.deliver = deliver }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let bytes = Array(envelope.data.readableBytesView)
            batch.append((SyslogMessage.parse(bytes), envelope.remoteAddress.ipAddress ?? "?"))
            if batch.count >= 256 { flush() }
        }

        func channelReadComplete(context: ChannelHandlerContext) { flush() }

        private func flush() {
            guard !batch.isEmpty else { return }
            deliver(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }

    private final class StreamHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let deliver: Deliver
        let connections: ConnectionCounter
        let timeouts: (part: TimeAmount, idle: TimeAmount)
        var framer = SyslogFramer()
        private var timer: Scheduled<Void>?
        private var context: ChannelHandlerContext?

        init(deliver: @escaping Deliver, connections: ConnectionCounter, timeouts: (part: TimeAmount, idle: TimeAmount)) {
            self.deliver = deliver
            self.connections = connections
            self.timeouts = timeouts
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
            arm()
        }

        func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

        /// Closes the connection when a message begun does not end in time, or nothing comes.
        private func arm() {
            timer?.cancel()
            guard let context else { return }
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            let slow = framer.pending > 0
            timer = context.eventLoop.scheduleTask(in: slow ? timeouts.part : timeouts.idle) {
                if slow { bound.value.connections.timedOut() }
                bound.value.context?.close(promise: nil)
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            let source = context.remoteAddress?.ipAddress ?? "?"
            let wasWaiting = framer.pending > 0
            let messages = framer.feed(Array(buffer.readableBytesView))
            if !messages.isEmpty { deliver(messages.map { (SyslogMessage.parse($0), source) }) }
            // A part keeps its first deadline however slowly more of it trickles in.
            if !(wasWaiting && framer.pending > 0 && messages.isEmpty) { arm() }
        }
    }
}
