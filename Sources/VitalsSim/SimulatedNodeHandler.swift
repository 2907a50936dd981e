import NIOCore
import NIOHTTP1

/// Answers HTTP requests for one simulated node, delaying answers when the node is slow.
final class SimulatedNodeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let node: String
    let simulator: Simulator
    var path: String?
    var keepAlive = false

    init(node: String, simulator: Simulator) {
        self.node = node
        self.simulator = simulator
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            let response = simulator.respond(node: node, path: path ?? "/")
            if response.silent { return }
            let keepAlive = self.keepAlive
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            if response.delay > .zero {
                let nanos = Int64(response.delay.seconds * 1e9)
                context.eventLoop.scheduleTask(in: .nanoseconds(nanos)) {
                    Self.write(response, keepAlive: keepAlive, context: loopBound.value)
                }
            } else {
                Self.write(response, keepAlive: keepAlive, context: context)
            }
        }
    }

    private static func write(_ response: SimulatedResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var head = HTTPResponseHead(version: .http1_1, status: response.status)
        var body = context.channel.allocator.buffer(capacity: response.body.utf8.count)
        body.writeString(response.body)
        head.headers.add(name: "Content-Type", value: response.contentType)
        head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        head.headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
