import NIOCore
import NIOPosix
import NIOSSL

/// A TCP server on a fresh loopback address that answers every request with the same bytes,
/// exactly as given: for testing clients against well-formed and broken HTTP alike.
public final class CannedServer: Sendable {
    public let host: String
    public let port: Int
    private let channel: any Channel

    /// - Parameters:
    ///   - answer: written once the request arrives, in pieces of `pieceSize` bytes.
    ///   - close: whether to close the connection after the answer.
    ///   - tls: a certificate and key (PEM files) to speak TLS with (then `url` is https).
    public static func start(
        answer: [UInt8], pieceSize: Int = 1 << 20, close: Bool = true, tls: (certificate: String, key: String)? = nil, host: String? = nil
    ) async throws -> CannedServer {
        let host = host ?? TestCluster.uniqueAddress()
        let context = try tls.map { tls in
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
                privateKey: .privateKey(NIOSSLPrivateKey(file: tls.key, format: .pem))
            ))
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.addHandler(Answerer(answer: answer, pieceSize: pieceSize, close: close))
                }
            }
            .bind(host: host, port: 8080)
            .get()
        return CannedServer(host: host, port: 8080, channel: channel, tls: tls != nil)
    }

    private let tls: Bool

    private init(host: String, port: Int, channel: any Channel, tls: Bool) {
        self.host = host
        self.port = port
        self.channel = channel
        self.tls = tls
    }

    public var url: String { "\(tls ? "https" : "http")://\(host):\(port)/health" }

    public func stop() async { try? await channel.close() }

    private final class Answerer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let answer: [UInt8]
        let pieceSize: Int
        let close: Bool
        var answered = false

        init(answer: [UInt8], pieceSize: Int, close: Bool) {
            self.answer = answer
            self.pieceSize = pieceSize
            self.close = close
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !answered else { return }
            answered = true
            var offset = 0
            var last: EventLoopFuture<Void>?
            while offset < answer.count {
                let piece = answer[offset..<min(answer.count, offset + pieceSize)]
                last = context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: piece)))
                offset += pieceSize
            }
            guard close else { return }
            // Close once everything is written: closing at once would drop what is still queued.
            let channel = context.channel
            if let last { last.whenComplete { _ in channel.close(promise: nil) } } else { context.close(promise: nil) }
        }
    }
}
