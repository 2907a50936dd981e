import Foundation
import NIOCore
import NIOPosix
import Synchronization
import VitalsCore

/// A Unix socket a running Vitals listens on for local commands, one line each:
/// `ttl pass|warn|fail CHECK NOTE…` → `ok …` or `error: …`. `vitals ttl` is its client.
final class ControlSocket: Sendable {
    typealias Handle = @Sendable (String) -> String

    let path: String
    private let group: any EventLoopGroup
    private let handle: Handle
    private let channel = Mutex<(any Channel)?>(nil)

    init(path: String, group: any EventLoopGroup, handle: @escaping Handle) {
        self.path = path
        self.group = group
        self.handle = handle
    }

    /// The longest path a Unix socket address holds (`sun_path`, with its terminating zero).
    static let pathLimit = 107

    /// Binds the socket, replacing only a stale socket no process listens on: anything else
    /// at the path (a file, a live instance's socket) is left alone and said.
    func start() async throws {
        guard path.utf8.count <= Self.pathLimit else {
            throw ControlClient.Problem(description: "the path \(path) is over \(Self.pathLimit) bytes, too long for a socket")
        }
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw ControlClient.Problem(description: "\(path) exists and is not a socket; it is left alone (move it to let vitals ttl reach this dashboard)")
            }
            // Another instance listening there keeps it; a socket left by a crash is replaced.
            if (try? ControlClient.send("ping", to: path)) != nil {
                throw ControlClient.Problem(description: "another vitals uses this state file and listens on \(path)")
            }
            unlink(path)
        }
        let handle = self.handle
        let bound = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(LineHandler(handle: handle)) }
            }
            .bind(unixDomainSocketPath: path).get()
        chmod(path, 0o600)
        channel.withLock { $0 = bound }
    }

    func stop() async {
        let open = channel.withLock { channel in defer { channel = nil }; return channel }
        try? await open?.close()
        if open != nil { unlink(path) }
    }

    private final class LineHandler: ChannelInboundHandler, @unchecked Sendable {
        // Lives on its channel's event loop.
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let handle: Handle
        var pending: [UInt8] = []

        init(handle: @escaping Handle) { self.handle = handle }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pending += unwrapInboundIn(data).readableBytesView
            guard pending.count < 16 * 1024 else {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "error: line too long\n")), promise: nil)
                context.close(promise: nil)
                return
            }
            while let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeFirst(newline + 1)
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: handle(line) + "\n")), promise: nil)
            }
        }
    }
}

/// Sends one command line to a running Vitals' control socket and returns its answer.
public enum ControlClient {
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    public static func send(_ line: String, to path: String) throws(Problem) -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Problem(description: "cannot make a socket") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Problem(description: "the socket path is too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes + [0]) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            throw Problem(description: "no running vitals listens on \(path) (\(String(cString: strerror(errno))))")
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array((line + "\n").utf8)
        guard request.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw Problem(description: "cannot send to \(path)")
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !answer.contains(10) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            answer += buffer[0..<count]
        }
        guard let newline = answer.firstIndex(of: 10) else { throw Problem(description: "no answer from \(path)") }
        return String(decoding: answer[..<newline], as: UTF8.self)
    }
}
