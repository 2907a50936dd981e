import ArgumentParser
import Foundation
import VitalsCore
import VitalsEngine
import VitalsHarness

/// Syslog ingest on loopback: a load generator sends RFC 5424 messages over UDP (paced at a
/// target rate) and over TCP (octet counted, as fast as the receiver takes them) for a while,
/// first to Vitals' engine, then to Debian's rsyslogd (imudp/imtcp, written to a file) in the
/// same run. Reports messages/s taken in, UDP loss, and the ratio to rsyslog.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Syslog messages/s over UDP and TCP into the engine, vs rsyslogd on another loopback port."
    )

    @Option(help: "Seconds each run sends for.")
    var seconds = 30.0

    @Option(help: "UDP messages per second the generator aims at.")
    var udpRate = 100_000

    @Option(help: "Also measure rsyslogd (when installed) as the baseline.")
    var rsyslog = true

    @Option(help: "Lines sent with the real logger (-f FILE over TCP), for realism; 0 skips it.")
    var loggerLines = 100_000

    static let vitalsHost = "127.0.6.1"
    static let rsyslogHost = "127.0.6.2"
    static let port: UInt16 = 5514

    func run() async throws {
        let nodes = (0..<10).map { NodeConfig(name: "app-\($0)", address: "127.0.7.\($0 + 1)", services: [ServiceConfig(name: "app\($0)")]) }
        var config = ClusterConfig(name: "ingest", nodes: nodes)
        config.logIntake = LogIntakeConfig(
            syslogUDP: (Self.vitalsHost, Int(Self.port)), syslogTCP: (Self.vitalsHost, Int(Self.port)), maxBytes: 256 * 1024 * 1024
        )
        let engine = Engine(config: config)
        let running = Task { await engine.run() }
        try await waitForTCP(host: Self.vitalsHost)
        print("Vitals engine (release) on \(Self.vitalsHost):\(Self.port); \(seconds) s per run; 2 cores shared with the generator")
        let counted: @Sendable () -> Int = { engine.logs.stats.nextSequence }
        let vitalsUDP = try await measure("udp", host: Self.vitalsHost, received: counted)
        let vitalsTCP = try await measure("tcp", host: Self.vitalsHost, received: counted)
        // A flood: as fast as one sender can go, to see where UDP starts to lose.
        let flood = try await measure("udp", host: Self.vitalsHost, received: counted, rate: 10_000_000)
        print(String(format: "udp flood (one unpaced sender): sent %d in %.0f s, taken in %.0f msg/s, loss %.2f%% (counted, memory bounded by max_bytes)", flood.sent, seconds, flood.rate, flood.loss * 100))
        print("kernel drops of the UDP listener (/proc/net/udp): \(engine.logs.stats.udpDropped)")
        print("store after the runs: \(engine.logs.stats.lines) lines, \(engine.logs.stats.bytes / 1_048_576) MiB of \(engine.logs.stats.byteLimit / 1_048_576) MiB, \(engine.logs.stats.dropped) dropped oldest first")
        var loggerResult: (Int, Double)?
        if loggerLines > 0 { loggerResult = try await measureLogger(host: Self.vitalsHost, received: counted) }
        running.cancel()
        await running.value

        var baseline: (udp: Result, tcp: Result)?
        if rsyslog, let rsyslogd = ExternalTool.path(of: "rsyslogd") {
            let output = "/tmp/vitals-ingest-rsyslog.out"
            let server = try startRsyslog(rsyslogd, output: output)
            defer { server.stop() }
            try await waitForTCP(host: Self.rsyslogHost)
            let lines: @Sendable () -> Int = { Self.lineCount(output) }
            print("rsyslogd \(rsyslogVersion(rsyslogd)) on \(Self.rsyslogHost):\(Self.port), imudp + imtcp, every message to a file")
            baseline = (try await measure("udp", host: Self.rsyslogHost, received: lines), try await measure("tcp", host: Self.rsyslogHost, received: lines))
        }
        print("")
        print("transport  receiver  sent        taken in    msg/s taken   loss     vs rsyslog")
        for (name, ours, theirs) in [("udp", vitalsUDP, baseline?.udp), ("tcp", vitalsTCP, baseline?.tcp)] {
            row(name, "vitals", ours, ratio: theirs.map { ours.rate / max(1, $0.rate) })
            if let theirs { row(name, "rsyslog", theirs, ratio: nil) }
        }
        if let (count, elapsed) = loggerResult {
            print(String(format: "logger -T -f (%d lines, RFC 5424, one connection): all taken in after %.2f s = %.0f msg/s", count, elapsed, Double(count) / elapsed))
        }
    }

    struct Result {
        var sent: Int
        var received: Int
        var seconds: Double
        var rate: Double { Double(received) / seconds }
        var loss: Double { sent == 0 ? 0 : Double(max(0, sent - received)) / Double(sent) }
    }

    func row(_ transport: String, _ receiver: String, _ result: Result, ratio: Double?) {
        print(
            transport.padding(toLength: 11, withPad: " ", startingAt: 0) + receiver.padding(toLength: 10, withPad: " ", startingAt: 0)
                + "\(result.sent)".padding(toLength: 12, withPad: " ", startingAt: 0) + "\(result.received)".padding(toLength: 12, withPad: " ", startingAt: 0)
                + String(format: "%-14.0f", result.rate) + String(format: "%.2f%%", result.loss * 100).padding(toLength: 9, withPad: " ", startingAt: 0)
                + (ratio.map { String(format: "%.2fx", $0) } ?? "")
        )
    }

    /// Sends for `seconds`, then waits until the receiver stops taking messages in.
    func measure(_ transport: String, host: String, received: @escaping @Sendable () -> Int, rate: Int? = nil) async throws -> Result {
        let before = received()
        let start = ContinuousClock.now
        let seconds = self.seconds, rate = rate ?? udpRate
        let sent = try await Task.detached {
            transport == "udp" ? try LoadGenerator.udp(host: host, port: Self.port, rate: rate, seconds: seconds)
                : try LoadGenerator.tcp(host: host, port: Self.port, seconds: seconds)
        }.value
        // Wait for the receiver to drain, at most 10 s: the rate counts the time to take it all in.
        var last = received(), lastChange = ContinuousClock.now
        while ContinuousClock.now - lastChange < .milliseconds(500), ContinuousClock.now - start < .seconds(seconds + 10) {
            try await Task.sleep(for: .milliseconds(50))
            let now = received()
            if now != last { last = now; lastChange = ContinuousClock.now }
            if now - before >= sent { break }
        }
        let elapsed = (lastChange - start).seconds
        let result = Result(sent: sent, received: last - before, seconds: max(seconds, elapsed))
        print(String(format: "  %@ %@: sent %d, taken in %d (%.0f msg/s), loss %.2f%%", transport, host, sent, result.received, result.rate, result.loss * 100))
        return result
    }

    func measureLogger(host: String, received: @escaping @Sendable () -> Int) async throws -> (Int, Double) {
        let file = "/tmp/vitals-ingest-logger.txt"
        let text = (0..<loggerLines).map { "app\($0 % 10): request \($0) served in \($0 % 97)ms" }.joined(separator: "\n") + "\n"
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        guard let logger = ExternalTool.path(of: "logger") else { return (0, 1) }
        let before = received()
        let start = ContinuousClock.now
        let result = try Run.process(logger, ["-n", host, "-P", "\(Self.port)", "-T", "--rfc5424", "-t", "app1", "-f", file], timeout: 300)
        guard result.status == 0 else { throw ValidationError("logger failed: \(result.stderr)") }
        while received() - before < loggerLines, ContinuousClock.now - start < .seconds(60) { try await Task.sleep(for: .milliseconds(10)) }
        return (received() - before, (ContinuousClock.now - start).seconds)
    }

    func waitForTCP(host: String) async throws {
        for _ in 0..<200 {
            if LoadGenerator.canConnect(host: host, port: Self.port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("nothing listens on \(host):\(Self.port)")
    }

    func startRsyslog(_ rsyslogd: String, output: String) throws -> BackgroundProcess {
        let work = "/tmp/vitals-ingest-rsyslog"
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: output)
        let conf = """
            global(workDirectory="\(work)")
            module(load="imudp")
            module(load="imtcp" MaxSessions="100")
            input(type="imudp" address="\(Self.rsyslogHost)" port="\(Self.port)")
            input(type="imtcp" address="\(Self.rsyslogHost)" port="\(Self.port)")
            *.* action(type="omfile" file="\(output)" template="RSYSLOG_FileFormat")

            """
        try conf.write(toFile: "\(work)/rsyslog.conf", atomically: true, encoding: .utf8)
        return try BackgroundProcess(rsyslogd, ["-n", "-f", "\(work)/rsyslog.conf", "-i", "\(work)/rsyslogd.pid"])
    }

    func rsyslogVersion(_ rsyslogd: String) -> String {
        let output = (try? Run.process(rsyslogd, ["-v"], timeout: 10).stdout) ?? ""
        return output.split(separator: "\n").first.map { String($0.split(separator: " ").dropFirst().first ?? "") } ?? "?"
    }

    /// Lines in a file (rsyslog writes one per message).
    static func lineCount(_ path: String) -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
        defer { try? handle.close() }
        var count = 0
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            count += chunk.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
        }
        return count
    }
}

/// Sends syslog messages from one thread with plain sockets.
enum LoadGenerator {
    static func message(_ index: Int) -> [UInt8] {
        let app = index % 10
        return Array("<134>1 2026-11-30T10:00:00.000Z app-\(app) app\(app) \(1000 + app) - - request \(index) served in \(index % 97)ms path=/api/items".utf8)
    }

    static func address(_ host: String, _ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }

    static func connect(_ fd: Int32, host: String, port: UInt16) -> Bool {
        var target = address(host, port)
        return withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    static func canConnect(host: String, port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return connect(fd, host: host, port: port)
    }

    /// Paced: every millisecond, the messages due by then.
    static func udp(host: String, port: UInt16, rate: Int, seconds: Double) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        guard connect(fd, host: host, port: port) else { throw ValidationError("cannot aim UDP at \(host)") }
        let messages = (0..<1000).map(message)
        let start = ContinuousClock.now
        var sent = 0
        while true {
            let elapsed = (ContinuousClock.now - start).seconds
            if elapsed >= seconds { break }
            let due = Int(elapsed * Double(rate))
            if sent >= due {
                usleep(200)
                continue
            }
            // A sender behind its rate sends in bursts and looks at the clock between them, so it
            // stops on time however far behind it is.
            for _ in 0..<min(due - sent, 1_000) {
                let bytes = messages[sent % messages.count]
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                sent += 1
            }
        }
        return sent
    }

    /// As fast as the receiver takes them: octet-counted frames written 64 KiB at a time.
    static func tcp(host: String, port: UInt16, seconds: Double) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        guard connect(fd, host: host, port: port) else { throw ValidationError("cannot connect to \(host)") }
        var batch: [UInt8] = []
        var perBatch = 0
        while batch.count < 64 * 1024 {
            let body = message(perBatch)
            batch += Array("\(body.count) ".utf8) + body
            perBatch += 1
        }
        let start = ContinuousClock.now
        var sent = 0
        while (ContinuousClock.now - start).seconds < seconds {
            var offset = 0
            while offset < batch.count {
                let written = batch.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                guard written > 0 else { throw ValidationError("the receiver closed the connection") }
                offset += written
            }
            sent += perBatch
        }
        return sent
    }
}
