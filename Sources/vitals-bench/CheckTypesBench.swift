import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import VitalsCore
import VitalsEngine
import VitalsHarness

/// tcp, https and grpc checks, one connection each as Consul makes them, next to the same checks
/// made in Go (net.Dial, net/http without keep-alive, grpc-go's health client) against the same
/// targets in the same run: an HTTPS server in a process of its own (certificates from the real
/// openssl) and a real etcd for gRPC health.
struct CheckTypesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checks",
        abstract: "tcp, https and grpc check throughput and latency, next to the same checks in Go.",
        discussion: """
            The Go baseline is Benchmarks/go/checks_bench.go, built with
            `GOPATH=/usr/share/gocode GO111MODULE=off go build -o /tmp/checks-bench Benchmarks/go/checks_bench.go`
            (Debian: golang-google-grpc-dev).
            """
    )

    @Option(help: "The Go baseline binary (Benchmarks/go/checks_bench.go, built).")
    var go = "/tmp/checks-bench"

    @Option(help: "Seconds for each type and each side.")
    var seconds = 10

    @Option(help: "Checks in flight at once, for both.")
    var concurrency = 16

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: go) else {
            throw ValidationError("no Go baseline at \(go): build Benchmarks/go/checks_bench.go (see --help)")
        }
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let host = "127.0.7.1"
        let pair = try certificates.server([host], file: "bench")
        let target = try BackgroundProcess(CommandLine.arguments[0], ["https-target", "--host", host, "--port", "8443", "--certificate", pair.certificate, "--key", pair.key])
        defer { target.stop() }
        try target.waitForOutput("ready", timeout: 30)

        let etcdHost = "127.0.7.2"
        let etcd = try BenchEtcd(host: etcdHost)
        defer { etcd.stop() }

        print("vitals-bench checks: \(concurrency) in flight, \(seconds) s per type and side; HTTPS target pid \(target.pid), etcd pid \(etcd.process.pid)")
        print("")
        print("| check | vitals checks/s | Go checks/s | ratio | vitals p50 / p99 | Go p50 / p99 | vitals CPU per check | Go CPU per check | failed (vitals / Go) |")
        print("|---|---|---|---|---|---|---|---|---|")
        let https = "https://\(host):8443/health"
        var tls = CheckConfig(name: "https", target: .http(url: https), interval: .seconds(60), timeout: .seconds(2))
        tls.tls = TLSOptions(caFile: certificates.caFile)
        let rows: [(String, CheckConfig, any Probe, String)] = [
            ("tcp", CheckConfig(name: "tcp", target: .tcp(host: host, port: 8443), interval: .seconds(60), timeout: .seconds(2)), TCPProbe(), "\(host):8443"),
            ("https", tls, HTTPProbe(), https),
            ("grpc", CheckConfig(name: "grpc", target: .grpc(host: etcdHost, port: 2379, service: "", tls: false), interval: .seconds(60), timeout: .seconds(2)),
             GRPCProbe(), "\(etcdHost):2379"),
        ]
        for (kind, check, probe, goTarget) in rows {
            let mine = await measure(probe, check)
            let theirs = try measureGo(kind, goTarget, caFile: certificates.caFile)
            print("| \(kind) | \(Report.rate(mine.rate)) | \(Report.rate(theirs.rate)) | \(Report.ratio(mine.rate, theirs.rate)) | "
                + "\(String(format: "%.2f / %.2f ms", mine.p50, mine.p99)) | \(String(format: "%.2f / %.2f ms", theirs.p50, theirs.p99)) | "
                + "\(String(format: "%.0f µs", mine.cpuPerCheck * 1e6)) | \(String(format: "%.0f µs", theirs.cpuPerCheck * 1e6)) | \(mine.failed) / \(theirs.failed) |")
        }
    }

    struct Result {
        var rate: Double
        var p50: Double
        var p99: Double
        var cpuPerCheck: Double
        var failed: Int
    }

    private func measure(_ probe: any Probe, _ check: CheckConfig) async -> Result {
        let before = ProcStat.current.cpuSeconds
        let started = ContinuousClock.now
        let deadline = started + .seconds(seconds)
        let (latencies, failed) = await withTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = [], failed = 0
                    while ContinuousClock.now < deadline {
                        let began = ContinuousClock.now
                        let outcome = await probe.run(check)
                        if outcome.status == .passing {
                            latencies.append((ContinuousClock.now - began).seconds * 1000)
                        } else {
                            failed += 1
                        }
                    }
                    return (latencies, failed)
                }
            }
            return await group.reduce(([Double](), 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        let elapsed = (ContinuousClock.now - started).seconds
        let cpu = ProcStat.current.cpuSeconds - before
        let sorted = latencies.sorted()
        func quantile(_ q: Double) -> Double { sorted.isEmpty ? 0 : sorted[Int(q * Double(sorted.count - 1))] }
        return Result(rate: Double(sorted.count) / elapsed, p50: quantile(0.5), p99: quantile(0.99), cpuPerCheck: cpu / Double(max(1, sorted.count)), failed: failed)
    }

    private func measureGo(_ kind: String, _ target: String, caFile: String) throws -> Result {
        var before = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &before)
        let run = try Run.process(go, [kind, target, caFile, "\(concurrency)", "\(seconds)"], timeout: Double(seconds) + 60)
        var after = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &after)
        func cpuSeconds(_ usage: rusage) -> Double {
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        let fields = run.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard run.status == 0, fields.count == 6, let completed = Double(fields[1]), let failed = Int(fields[2]), let elapsed = Double(fields[3]),
              let p50 = Double(fields[4]), let p99 = Double(fields[5]) else {
            throw ValidationError("the Go baseline failed: \(run.stdout)\(run.stderr)")
        }
        return Result(rate: completed / elapsed, p50: p50, p99: p99, cpuPerCheck: (cpuSeconds(after) - cpuSeconds(before)) / max(1, completed), failed: failed)
    }
}

/// `vitals-bench https-target`: an HTTPS server answering every request with a small 200, in a
/// process of its own so that its CPU is not the prober's. Prints "ready" once it listens.
struct HTTPSTarget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "https-target", abstract: "An HTTPS target for `checks`.", shouldDisplay: false)

    @Option var host: String
    @Option var port: Int
    @Option var certificate: String
    @Option var key: String

    func run() async throws {
        let context = try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(NIOSSLPrivateKey(file: key, format: .pem))
        ))
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(Answer())
                }
            }
            .bind(host: host, port: port)
            .get()
        FileHandle.standardOutput.write(Data("ready\n".utf8))
        try await channel.closeFuture.get()
    }

    private final class Answer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var seen: [UInt8] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            seen += unwrapInboundIn(data).readableBytesView
            guard seen.count >= 4, seen.suffix(4).elementsEqual([13, 10, 13, 10]) else { return }
            seen.removeAll()
            let body = "{\"status\":\"UP\"}"
            let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: answer))).whenComplete { _ in channel.close(promise: nil) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
