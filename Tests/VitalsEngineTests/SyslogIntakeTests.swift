import Foundation
import NIOCore
import NIOPosix
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsTesting

/// The real `logger` (bsdutils) as the client of Vitals' syslog listener, over UDP and TCP.
@Suite(.serialized, .enabled(if: ExternalTool.available("logger", package: "bsdutils")))
struct SyslogIntakeTests {
    @Test func loggerMessagesReachTheirNodesOverUDPAndTCP() async throws {
        let host = TestCluster.uniqueAddress()
        var config = ClusterConfig(name: "logs", nodes: [
            NodeConfig(name: "orders-1", address: TestCluster.uniqueAddress(), services: [ServiceConfig(name: "orders")]),
            NodeConfig(name: "cart-1", address: TestCluster.uniqueAddress(), services: [ServiceConfig(name: "cart")]),
        ])
        config.logIntake = LogIntakeConfig(syslogUDP: (host, 5514), syslogTCP: (host, 5514))
        let engine = Engine(config: config)
        let running = Task { await engine.run() }
        defer { running.cancel() }
        // The listener binds when the engine starts running: wait until it accepts connections.
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: host, port: 5514).get() {
                try? await channel.close()
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        // A client that connects and sends nothing, and one that sends binary garbage, hold
        // nothing up: the garbage is kept, raw and marked, and logger's lines still arrive.
        let idle = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: host, port: 5514).get()
        defer { try? idle.close().wait() }
        let garbage = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: host, port: 5514).get()
        var noise = ByteBuffer(bytes: [0x00, 0xFF, 0xFE, 0x1B, 0x5B, 0x32, 0x4A, 0x80, 0x0A] + (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) } + [0x0A])
        try await garbage.writeAndFlush(noise)
        noise.clear()
        try? await garbage.close()
        let logger = try #require(ExternalTool.path(of: "logger"))
        let sends: [[String]] = [
            ["-n", host, "-P", "5514", "-d", "--rfc5424", "-t", "orders", "-p", "local0.err", "payment timeout: upstream postgres"],
            ["-n", host, "-P", "5514", "-d", "--rfc3164", "-t", "cart", "-p", "user.warning", "cache miss storm"],
            ["-n", host, "-P", "5514", "-T", "--rfc5424", "-t", "orders", "over tcp"],
            ["-n", host, "-P", "5514", "-T", "--octet-count", "--rfc5424", "-t", "cart", "counted\u{1B}[2J"],
            ["-n", host, "-P", "5514", "-d", "-t", "nobody-runs-this", "unclaimed"],
        ]
        for arguments in sends {
            let result = try Run.process(logger, arguments, timeout: 10)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let seen = await engine.store.first(where: { snapshot in
            (snapshot.node(named: "orders-1")?.recentLogs.count ?? 0) >= 2 && (snapshot.node(named: "cart-1")?.recentLogs.count ?? 0) >= 2
        }, timeout: .seconds(10))
        let orders = try #require(seen?.node(named: "orders-1")?.recentLogs)
        let cart = try #require(seen?.node(named: "cart-1")?.recentLogs)
        #expect(orders.contains { $0.contains("ERROR orders: payment timeout: upstream postgres") })
        #expect(orders.contains { $0.hasSuffix("orders: over tcp") })
        #expect(cart.contains { $0.contains("WARN cart: cache miss storm") })
        #expect(cart.contains { $0.contains("cart: counted␛[2J") }, "an escape sequence never reaches the screen raw: \(cart)")
        // logger's unclaimed line, and the garbage (kept raw under the address that sent it).
        #expect(engine.unclaimedLogMessages >= 2)
        #expect(engine.logs.stats.unparsed >= 1)
        #expect(engine.logs.lines(LogQuery(), before: nil, limit: 20).contains { $0.flags.contains(.unparsed) && $0.message.contains("\\xff") && $0.message.contains("␛[2J") })
        // Every line is in the store, attributed; the unclaimed one under the host it names.
        let stored = engine.logs.lines(LogQuery(), before: nil, limit: 20).filter { !$0.flags.contains(.unparsed) }
        #expect(stored.filter { !$0.flags.contains(.unclaimed) }.map(\.node).sorted() == ["cart-1", "cart-1", "orders-1", "orders-1"])
        let unclaimed = try #require(stored.first { $0.flags.contains(.unclaimed) })
        #expect(unclaimed.message == "unclaimed")
        #expect(unclaimed.node == ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init))
        #expect(engine.logs.count(LogQuery(minimumLevel: .error, pattern: .substring("postgres"))) == 1)
        running.cancel()
        await running.value
    }
}

/// The kernel's count of datagrams dropped for the UDP listener is found for its address.
@Suite struct SyslogKernelDropTests {
    /// Another program cannot bind the syslog UDP port beside Vitals (even asking for
    /// SO_REUSEADDR), so it cannot take datagrams meant for Vitals.
    @Test func theUDPListenerIsExclusive() async throws {
        let host = TestCluster.uniqueAddress()
        func bindAlongside() -> Int32 {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(fd) }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(5516).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            return bound == 0 ? 0 : errno
        }
        #expect(bindAlongside() == 0, "free before Vitals binds it")
        let intake = SyslogIntake(config: LogIntakeConfig(syslogUDP: (host, 5516)), group: MultiThreadedEventLoopGroup.singleton) { _ in }
        try await intake.start()
        #expect(bindAlongside() == EADDRINUSE, "another program must not bind beside Vitals and take its datagrams")
        await intake.stop()
        #expect(bindAlongside() == 0)
    }

    @Test func theListenersRowIsFoundInProcNetUDP() async throws {
        let host = TestCluster.uniqueAddress()
        let intake = SyslogIntake(config: LogIntakeConfig(syslogUDP: (host, 5515)), group: MultiThreadedEventLoopGroup.singleton) { _ in }
        #expect(intake.kernelDrops() == nil, "not bound yet")
        try await intake.start()
        #expect(intake.kernelDrops() == 0)
        await intake.stop()
    }
}
