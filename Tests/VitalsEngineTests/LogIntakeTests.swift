import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsTesting

/// HTTP push (with the real curl), files tailed across rotation, every node's log feed, and
/// the per-minute error series alert rules read.
@Suite(.serialized) struct LogIntakeTests {
    static func waitForListener(host: String, port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: host, port: port).get() {
                try? await channel.close()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func curl(_ arguments: [String]) throws -> (status: String, body: String) {
        let curl = try #require(ExternalTool.path(of: "curl"))
        let result = try Run.process(curl, ["-s", "-o", "-", "-w", "\n%{http_code}"] + arguments, timeout: 20)
        let parts = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (String(parts.last ?? ""), parts.dropLast().joined(separator: "\n").trimmingCharacters(in: .newlines))
    }

    @Test(.enabled(if: ExternalTool.available("curl", package: "curl")))
    func jsonLinesPushedOverHTTPAreStoredAndBadLinesKeptWithTheirReason() async throws {
        let host = TestCluster.uniqueAddress()
        var config = ClusterConfig(name: "logs", nodes: [
            NodeConfig(name: "orders-1", address: TestCluster.uniqueAddress(), services: [ServiceConfig(name: "orders")]),
            NodeConfig(name: "web-1", address: TestCluster.uniqueAddress(), services: [ServiceConfig(name: "web")]),
        ])
        config.logIntake = LogIntakeConfig(http: (host, 9880))
        let engine = Engine(config: config)
        let running = Task { await engine.run() }
        defer { running.cancel() }
        try await Self.waitForListener(host: host, port: 9880)
        let url = "http://\(host):9880/v1/logs"
        // A line's own time is shown when it is within a day of its arrival.
        let stamp = ClusterSnapshot.timestamp(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 3_600))
        let body = """
            {"time":"\(stamp)","node":"web-1","service":"web","level":"error","message":"upstream timeout","path":"/api/cart"}
            {"host":"orders-1","level":"warn","msg":"slow query","ms":930}
            {"message": "half a line
            {"service":"orders","message":"named by its service only"}

            """
        let answer = try Self.curl(["-X", "POST", "--data-binary", body, url])
        #expect(answer.status == "200")
        #expect(answer.body == #"{"accepted":3,"unparsed":1,"errors":["line 3: a string is not closed at byte 25"]}"#)
        let lines = engine.logs.lines(LogQuery(), before: nil, limit: 10)
        // The unclaimed line is kept under the address that sent it (curl connects from 127.0.0.1).
        #expect(lines.map(\.node) == ["web-1", "orders-1", "127.0.0.1", "orders-1"])
        #expect(lines[0].message == "upstream timeout path=/api/cart")
        #expect(lines[0].level == .error)
        #expect(ClusterSnapshot.timestamp(lines[0].time) == stamp)
        #expect(lines[1].message == "slow query ms=930")
        #expect(lines[2].flags == [.unparsed, .unclaimed])
        #expect(lines[2].message.hasPrefix("(unparsed: a string is not closed at byte 25) {\"message\": \"half a line"))
        #expect(try Self.curl([url]).status == "405")
        #expect(try Self.curl(["-X", "POST", "--data-binary", "{}", "http://\(host):9880/elsewhere"]).status == "404")
        // A body over the limit is refused before it is read, and nothing of it is kept.
        let big = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-big-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: big) }
        try Data(repeating: UInt8(ascii: "x"), count: LogPushServer.bodyLimit + 10).write(to: big)
        #expect(try Self.curl(["-X", "POST", "--data-binary", "@\(big.path)", url]).status == "413")
        // A client that connects and sends nothing holds nothing up.
        let idle = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: host, port: 9880).get()
        #expect(try Self.curl(["-X", "POST", "--data-binary", #"{"message":"after the idle one","node":"web-1"}"#, url]).status == "200")
        try? await idle.close()
        #expect(engine.logs.stats.lines == 5)
        running.cancel()
        await running.value
    }

    /// The push listener is bounded like the API: a connection cap, and a request that does not
    /// arrive whole in time is answered 408 (an idle connection is closed).
    @Test(.enabled(if: ExternalTool.available("curl", package: "curl")))
    func thePushListenerCapsConnectionsAndCutsSlowRequests() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        // The cap, on a listener whose timeout cannot interfere.
        let host = TestCluster.uniqueAddress()
        let capped = LogPushServer(address: (host, 9881), group: group, limit: 2, requestTimeout: .seconds(600)) { _ in }
        try await capped.start()
        let first = try await ClientBootstrap(group: group).connect(host: host, port: 9881).get()
        let second = try await ClientBootstrap(group: group).connect(host: host, port: 9881).get()
        var deadline = ContinuousClock.now + .seconds(30)
        while capped.connections.open < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let third = try await ClientBootstrap(group: group).connect(host: host, port: 9881).get()
        // Closed by the server as soon as it was accepted; the first two stay open.
        try await third.closeFuture.get()
        #expect(capped.connections.counts.refused == 1)
        #expect(first.isActive && second.isActive)
        try await first.close()
        try await second.close()
        await capped.stop()

        // The timeouts, on a listener of their own.
        let other = TestCluster.uniqueAddress()
        let timed = LogPushServer(address: (other, 9881), group: group, requestTimeout: .milliseconds(400)) { _ in }
        try await timed.start()
        let idle = try await ClientBootstrap(group: group).connect(host: other, port: 9881).get()
        try await idle.closeFuture.get()  // closed once the request timeout passed without a request
        // Half a body, then nothing: 408.
        let slow = try Self.curl(["-X", "POST", "-H", "Content-Length: 100", "--data-binary", "{\"message\":", "--max-time", "10", "http://\(other):9881/v1/logs"])
        #expect(slow.status == "408")
        deadline = ContinuousClock.now + .seconds(30)
        while timed.connections.open > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(timed.connections.open == 0)
        #expect(timed.connections.counts.timedOut == 1)
        await timed.stop()
    }

    /// Idle connections past the cap are closed as they are accepted; a message begun and not
    /// ended is cut; an idle connection is closed; whole messages still arrive.
    @Test func theSyslogTCPListenerCapsConnectionsAndCutsSlowMessages() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let delivered = Mutex<[String]>([])
        var config = LogIntakeConfig()
        let host = TestCluster.uniqueAddress()
        config.syslogTCP = (host, 5514)
        let capped = SyslogIntake(config: config, group: group, limit: 2, partTimeout: .seconds(600), idleTimeout: .seconds(600)) { batch in
            delivered.withLock { $0 += batch.map { $0.0.message } }
        }
        try await capped.start()
        let first = try await ClientBootstrap(group: group).connect(host: host, port: 5514).get()
        let second = try await ClientBootstrap(group: group).connect(host: host, port: 5514).get()
        var deadline = ContinuousClock.now + .seconds(30)
        while capped.connections.open < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let third = try await ClientBootstrap(group: group).connect(host: host, port: 5514).get()
        try await third.closeFuture.get()
        #expect(capped.connections.counts.refused == 1)
        #expect(first.isActive && second.isActive)
        try await first.writeAndFlush(ByteBuffer(string: "<13>Dec  5 10:00:00 web-1 app: still heard\n"))
        deadline = ContinuousClock.now + .seconds(30)
        while delivered.withLock({ $0.isEmpty }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(delivered.withLock { $0 } == ["still heard"])
        try await first.close()
        try await second.close()
        await capped.stop()

        config.syslogTCP = (TestCluster.uniqueAddress(), 5514)
        let timed = SyslogIntake(config: config, group: group, partTimeout: .milliseconds(400), idleTimeout: .seconds(1)) { _ in }
        try await timed.start()
        let address = try #require(config.syslogTCP)
        // Half an octet-counted message, then a byte at a time: cut at its first deadline.
        let slow = try await ClientBootstrap(group: group).connect(host: address.host, port: address.port).get()
        try await slow.writeAndFlush(ByteBuffer(string: "200 <13>Dec  5 10:00:00 web-1 app: part"))
        let trickle = Task {
            for _ in 0..<40 where slow.isActive {
                try? await slow.writeAndFlush(ByteBuffer(string: "x"))
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        try await slow.closeFuture.get()
        trickle.cancel()
        #expect(timed.connections.counts.timedOut == 1)
        let idle = try await ClientBootstrap(group: group).connect(host: address.host, port: address.port).get()
        try await idle.closeFuture.get()  // nothing sent for the idle timeout
        #expect(timed.connections.counts.timedOut == 1, "an idle connection is closed, not counted as slow")
        await timed.stop()
    }

    /// The engine counts what its listeners refused into the log stats the Logs header shows.
    @Test func aConnectionFloodIsCountedInTheLogStats() async throws {
        var config = ClusterConfig(name: "flood", nodes: [NodeConfig(name: "web-1", address: TestCluster.uniqueAddress(), services: [ServiceConfig(name: "web")])])
        let host = TestCluster.uniqueAddress()
        config.logIntake.syslogTCP = (host, 5514)
        let engine = Engine(config: config, options: Engine.Options())
        let running = Task { await engine.run() }
        defer { running.cancel() }
        let group = MultiThreadedEventLoopGroup.singleton
        var open: [any Channel] = []
        var deadline = ContinuousClock.now + .seconds(30)
        while open.isEmpty && ContinuousClock.now < deadline {
            if let channel = try? await ClientBootstrap(group: group).connect(host: host, port: 5514).get() { open.append(channel) } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        for _ in 0..<299 { open.append(try await ClientBootstrap(group: group).connect(host: host, port: 5514).get()) }
        deadline = ContinuousClock.now + .seconds(30)
        while engine.logs.stats.connectionsRefused < 44 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(engine.logs.stats.connectionsRefused == 44, "300 connections against a cap of 256")
        for channel in open { try? await channel.close() }
    }

    @Test func filesAreFollowedAcrossRenameAndTruncation() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-logs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let app = folder.appendingPathComponent("orders-1.log").path
        let other = folder.appendingPathComponent("web.log").path
        try "old line before Vitals started\n".write(toFile: app, atomically: false, encoding: .utf8)
        try "2026-11-30T10:00:00Z ERROR web: from the beginning\n".write(toFile: other, atomically: false, encoding: .utf8)
        var config = ClusterConfig(name: "files", nodes: [
            NodeConfig(name: "orders-1", address: TestCluster.uniqueAddress(), services: [ServiceConfig(name: "orders")]),
            NodeConfig(name: "web-1", address: TestCluster.uniqueAddress(), services: [ServiceConfig(name: "web")]),
        ])
        config.logIntake = LogIntakeConfig(files: [LogFileConfig(path: folder.path + "/orders-*.log")])
        config.nodes[1].logFiles = [LogFileConfig(path: other, node: "web-1", service: "web", fromBeginning: true)]
        var options = Engine.Options()
        options.logFilePoll = .milliseconds(50)
        let engine = Engine(config: config, options: options)
        let running = Task { await engine.run() }
        defer { running.cancel() }

        func append(_ text: String, to path: String) throws {
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }
        func messages(waitingFor count: Int) async -> [String] {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline, engine.logs.stats.lines < count { try? await Task.sleep(for: .milliseconds(20)) }
            return engine.logs.lines(LogQuery(), before: nil, limit: 100).map { "\($0.node) \($0.message)" }
        }
        #expect(await messages(waitingFor: 1) == ["web-1 from the beginning"])
        try await Task.sleep(for: .milliseconds(200))
        try append("INFO orders: first\nWARN orders: second, half", to: app)
        #expect(await messages(waitingFor: 2) == ["web-1 from the beginning", "orders-1 first"])
        // Rotation: the rest of the old file is written, it is renamed away, a new file starts.
        try append(" written\n", to: app)
        try FileManager.default.moveItem(atPath: app, toPath: app + ".1")
        try "ERROR orders: in the new file\n".write(toFile: app, atomically: false, encoding: .utf8)
        let rotated = await messages(waitingFor: 4)
        #expect(rotated.suffix(2) == ["orders-1 second, half written", "orders-1 in the new file"])
        // Truncation in place (copytruncate): read again from the start.
        try await Task.sleep(for: .milliseconds(200))
        try FileHandle(forWritingAtPath: app)?.truncate(atOffset: 0)
        try await Task.sleep(for: .milliseconds(200))
        try append("after truncation\n", to: app)
        #expect(await messages(waitingFor: 5).last == "orders-1 after truncation")
        #expect(engine.logs.lines(LogQuery(minimumLevel: .error), before: nil, limit: 10).map(\.message) == ["from the beginning", "in the new file"])
        running.cancel()
        await running.value
    }

    @Test func everyFeedOfEveryNodeIsReadWithoutRepeats() async throws {
        var config = TestCluster.make(nodes: ["a", "b"])
        var options = Engine.Options()
        options.logSweep = .milliseconds(200)
        options.firstRunsWithin = .milliseconds(100)
        // Each node's one endpoint listed twice: read twice as often, each line must still come once.
        for index in config.nodes.indices {
            let url = "http://\(config.nodes[index].address):8080/logs"
            config.nodes[index].logURLs = [url, url]
        }
        try await LiveCluster.with(config, options: options) { live in
            // The simulated nodes write a line every two seconds or so.
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline,
                  ["a", "b"].contains(where: { live.engine.logs.count(LogQuery(nodes: [$0])) < 4 }) {
                try await Task.sleep(for: .milliseconds(100))
            }
            let lines = live.engine.logs.lines(LogQuery(), before: nil, limit: 10_000)
            #expect(Set(lines.map(\.node)) == ["a", "b"])
            // The same endpoint read twice as often still gives each line once (by its own time).
            for node in ["a", "b"] {
                let own = lines.filter { $0.node == node }.map { "\($0.time.timeIntervalSince1970) \($0.message)" }
                #expect(own.count > 3)
                #expect(Set(own).count == own.count, "repeated lines on \(node)")
            }
            #expect(lines.allSatisfy { !$0.flags.contains(.unclaimed) && !$0.service.isEmpty })
        }
    }

    @Test(.enabled(if: ExternalTool.available("curl", package: "curl")))
    func errorLinesPerMinuteFireAnAlertRule() async throws {
        let host = TestCluster.uniqueAddress()
        var config = ClusterConfig(name: "logs", nodes: [
            NodeConfig(name: "orders-1", address: TestCluster.uniqueAddress(), services: [ServiceConfig(name: "orders")]),
        ])
        config.logIntake = LogIntakeConfig(http: (host, 9881))
        let rule = try AlertRule(name: "OrdersErrors", expression: #"log_errors_per_min{service="orders"} > 3"#, severity: .warning,
                                 summary: "{{ $value }} errors a minute on {{ $labels.node }}")
        config.alerting = AlertingConfig(rules: [rule])
        let engine = Engine(config: config)
        let running = Task { await engine.run() }
        defer { running.cancel() }
        try await Self.waitForListener(host: host, port: 9881)
        let lines = (0..<5).map { #"{"service":"orders","level":"error","message":"db timeout \#($0)"}"# }.joined(separator: "\n")
        #expect(try Self.curl(["-X", "POST", "--data-binary", lines, "http://\(host):9881/v1/logs"]).status == "200")
        let firing = await engine.store.first(where: { $0.alerts.contains { $0.name == "OrdersErrors" } }, timeout: .seconds(10))
        let alert = try #require(firing?.alerts.first { $0.name == "OrdersErrors" })
        #expect(alert.summary == "5 errors a minute on orders-1")
        #expect(firing?.logStats?.lines == 5)
        running.cancel()
        await running.value
    }
}

/// A listener that cannot bind or a file that cannot be read is said in the Logs pane's header;
/// the engine runs on.
@Suite struct LogIntakeProblemTests {
    @Test func aBusyPortAndAMissingFileAreReported() async throws {
        let host = TestCluster.uniqueAddress()
        let blocker = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: host, port: 9882).get()
        defer { try? blocker.close().wait() }
        var config = ClusterConfig(name: "logs", nodes: [NodeConfig(name: "a", address: TestCluster.uniqueAddress())])
        config.logIntake = LogIntakeConfig(http: (host, 9882), files: [LogFileConfig(path: "/nonexistent/vitals/app.log")])
        var options = Engine.Options()
        options.logFilePoll = .milliseconds(50)
        let engine = Engine(config: config, options: options)
        let running = Task { await engine.run() }
        defer { running.cancel() }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, engine.logs.stats.problems.count < 2 { try await Task.sleep(for: .milliseconds(20)) }
        let problems = engine.logs.stats.problems
        #expect(problems.contains { $0.hasPrefix("POST /v1/logs listener:") && $0.contains("in use") }, "\(problems)")
        #expect(problems.contains("/nonexistent/vitals/app.log: no such file (yet)"))
        running.cancel()
        await running.value
    }
}

/// While the dashboard shows another pane, log endpoints are read at the quiet pace.
@Suite struct QuietLogSweepTests {
    @Test func endpointsAreReadLessOftenWhileTheLogsPaneIsHidden() async throws {
        var config = TestCluster.make(nodes: ["a"])
        config.nodes[0].logURLs = ["http://\(config.nodes[0].address):8080/logs"]
        var options = Engine.Options()
        options.logSweep = .milliseconds(100)
        options.quietLogSweep = .seconds(3600)
        options.firstRunsWithin = .milliseconds(50)
        try await LiveCluster.with(config, options: options) { live in
            live.engine.watchLogs(false)
            try await Task.sleep(for: .seconds(2))
            // Hidden: the first read, then nothing for an hour.
            let quiet = live.simulator.requests(to: "a", path: "/logs")
            #expect(quiet <= 1, "at most the first read while hidden: \(quiet)")
            // Shown: read again and again (every 100 ms on an idle machine).
            live.engine.watchLogs(true)
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline, live.simulator.requests(to: "a", path: "/logs") < quiet + 5 {
                try await Task.sleep(for: .milliseconds(50))
            }
            let watched = live.simulator.requests(to: "a", path: "/logs") - quiet
            #expect(watched >= 5, "read again while shown: \(watched)")
        }
    }
}
