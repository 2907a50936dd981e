import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// Looks at the first bytes of a connection to a simulated node: the HTTP/2 preface (a gRPC
/// client) gets `grpc.health.v1.Health`, anything else the node's HTTP/1 answers, as a real etcd
/// serves both on its client port.
final class ProtocolSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    let node: String
    let simulator: Simulator
    private var seen = ByteBuffer()

    init(node: String, simulator: Simulator) {
        self.node = node
        self.simulator = simulator
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        seen.writeBuffer(&chunk)
        let bytes = Array(seen.readableBytesView.prefix(Self.preface.count))
        // Still a prefix of the preface: wait for more.
        if bytes.count < Self.preface.count, Self.preface.starts(with: bytes) { return }
        let isHTTP2 = bytes == Self.preface
        do {
            let pipeline = context.pipeline.syncOperations
            if isHTTP2 {
                let node = self.node, simulator = self.simulator
                _ = try pipeline.configureHTTP2Pipeline(mode: .server, connectionConfiguration: .init(), streamConfiguration: .init()) { stream in
                    stream.eventLoop.makeCompletedFuture {
                        try stream.pipeline.syncOperations.addHandler(SimulatedHealthCall(node: node, simulator: simulator))
                    }
                }
            } else {
                try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                try pipeline.addHandler(SimulatedNodeHandler(node: node, simulator: simulator))
            }
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(wrapInboundOut(seen))
        seen = ByteBuffer()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

/// One `grpc.health.v1.Health/Check` on a simulated node: `SERVING` while its health endpoint
/// would answer 200, `NOT_SERVING` otherwise, after the same delay; nothing at all when it hangs.
/// Other methods are `UNIMPLEMENTED`.
final class SimulatedHealthCall: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    let node: String
    let simulator: Simulator
    private var path = ""

    init(node: String, simulator: Simulator) {
        self.node = node
        self.simulator = simulator
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            path = headers.headers.first(name: ":path") ?? ""
            if headers.endStream { answer(context: context) }
        case .data(let frame):
            if frame.endStream { answer(context: context) }
        default:
            break
        }
    }

    private func answer(context: ChannelHandlerContext) {
        guard path == "/grpc.health.v1.Health/Check" else {
            send(context: context, message: nil, status: 12, text: "unknown method \(path)")
            return
        }
        let response = simulator.respond(node: node, path: "/health")
        if response.silent { return }
        let serving: UInt8 = response.status == .ok ? 1 : 2
        let message: [UInt8] = [0, 0, 0, 0, 2, 0x08, serving]
        guard response.delay > .zero else {
            send(context: context, message: message, status: 0, text: nil)
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .nanoseconds(Int64(response.delay.seconds * 1e9))) {
            let (call, context) = bound.value
            call.send(context: context, message: message, status: 0, text: nil)
        }
    }

    private func send(context: ChannelHandlerContext, message: [UInt8]?, status: Int, text: String?) {
        context.write(wrapOutboundOut(.headers(.init(headers: HPACKHeaders([(":status", "200"), ("content-type", "application/grpc")])))), promise: nil)
        if let message {
            context.write(wrapOutboundOut(.data(.init(data: .byteBuffer(context.channel.allocator.buffer(bytes: message))))), promise: nil)
        }
        var trailers = HPACKHeaders([("grpc-status", "\(status)")])
        if let text { trailers.add(name: "grpc-message", value: text) }
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: trailers, endStream: true))), promise: nil)
    }
}
