import Foundation
import NIOCore
import NIOHTTP1

/// Answers HTTP requests for one simulated node, delaying answers when the node is slow. Nodes
/// that run etcd also answer the v3 JSON gateway, watches included (a stream of JSON lines).
final class SimulatedNodeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let node: String
    let simulator: Simulator
    var path: String?
    var keepAlive = false
    var body: [UInt8] = []
    /// A watch being streamed: the task that sends new events.
    var watchTask: RepeatedTask?

    /// The most request body read (a range request is small).
    static let bodyLimit = 1 << 20

    init(node: String, simulator: Simulator) {
        self.node = node
        self.simulator = simulator
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri
            keepAlive = head.isKeepAlive
            body = []
        case .body(var buffer):
            if body.count < Self.bodyLimit { body += buffer.readBytes(length: min(buffer.readableBytes, Self.bodyLimit - body.count)) ?? [] }
        case .end:
            let path = self.path ?? "/"
            if path.hasPrefix("/v3/"), simulator.servesEtcd(node), simulator.isServing(node) {
                if path == "/v3/watch" { startWatch(context: context) } else { answerEtcd(path: path, context: context) }
                return
            }
            let response = simulator.respond(node: node, path: path)
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

    func channelInactive(context: ChannelHandlerContext) {
        watchTask?.cancel()
        watchTask = nil
        context.fireChannelInactive()
    }

    private func answerEtcd(path: String, context: ChannelHandlerContext) {
        let (status, json) = simulator.etcdAnswer(path: path, body: body)
        let response = SimulatedResponse(
            status: HTTPResponseStatus(statusCode: status), contentType: "application/json", body: json + "\n", delay: .zero
        )
        Self.write(response, keepAlive: keepAlive, context: context)
    }

    /// Streams a watch: a `created` message, then every event after the start revision, checked
    /// four times a second, until the client goes away.
    private func startWatch(context: ChannelHandlerContext) {
        let request = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        let create = request?["create_request"] as? [String: Any] ?? [:]
        let key = SimulatedEtcd.text(create["key"])
        let end = create["range_end"].map { SimulatedEtcd.text($0) }
        let start = Int64(create["start_revision"] as? String ?? "") ?? 0
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "Content-Type", value: "application/json")
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        let first = simulator.etcdWatch(key: key, end: end, after: max(0, start - 1))
        if let compacted = first.compacted {
            let line = SimulatedEtcd.encode(["result": ["header": ["revision": String(first.revision)], "compact_revision": String(compacted), "canceled": true]])
            Self.writeLine(line, context: context)
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
            return
        }
        Self.writeLine(SimulatedEtcd.encode(["result": ["header": ["revision": String(first.revision)], "created": true]]), context: context)
        for line in first.lines { Self.writeLine(line, context: context) }
        context.flush()
        var last = first.revision
        let simulator = self.simulator
        let node = self.node
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        watchTask = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) { task in
            let context = loopBound.value
            guard context.channel.isActive, simulator.isServing(node) else {
                task.cancel()
                context.close(promise: nil)
                return
            }
            let next = simulator.etcdWatch(key: key, end: end, after: last)
            for line in next.lines { Self.writeLine(line, context: context) }
            if !next.lines.isEmpty { context.flush() }
            last = next.revision
        }
    }

    private static func writeLine(_ line: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 1)
        buffer.writeString(line + "\n")
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
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
