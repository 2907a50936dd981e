import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsTesting

/// Vitals scraping a real node_exporter: plausible numbers for this machine.
@Suite(.enabled(if: RealNodeExporter.isAvailable))
struct NodeExporterTests {
    @Test func aRealNodeExportersCPUAndMemoryArePlausible() async throws {
        let exporter = try RealNodeExporter()
        defer { exporter.stop() }
        var node = NodeConfig(name: "this-machine", address: exporter.host, metricsURL: exporter.url)
        node.metricsInterval = .milliseconds(500)
        let config = ClusterConfig(name: "real", nodes: [node])
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(100)
        let engine = Engine(config: config, options: options)
        let running = Task { await engine.run() }
        defer { running.cancel() }
        // CPU and network need two scrapes; memory and disks one.
        let seen = await engine.store.first(where: { $0.nodes.first.map { $0.metrics.cpu != nil && $0.metrics.networkReceiveRate != nil } == true }, timeout: .seconds(15))
        let metrics = try #require(seen?.nodes.first?.metrics)
        #expect(metrics.scrapeError == nil, "\(metrics.scrapeError ?? "")")
        #expect((0...1).contains(metrics.cpu ?? -1))
        let memory = try #require(metrics.memory)
        #expect(memory > 0.001 && memory < 1, "a running machine uses some memory and not all of it")
        #expect((metrics.scrapeSamples ?? 0) > 200, "node_exporter exports hundreds of samples")
        #expect(metrics.scrapeWarning == nil, "\(metrics.scrapeWarning ?? "")")
        #expect(!metrics.disks.isEmpty && metrics.disks.allSatisfy { (0...1).contains($0.used) && $0.sizeBytes > 0 }, "\(metrics.disks)")
        #expect((metrics.networkReceiveRate ?? -1) >= 0 && (metrics.networkSendRate ?? -1) >= 0)
        #expect(metrics.load1 != nil && (metrics.openFiles ?? 0) > 0)
        running.cancel()
        await running.value
    }
}

/// Scrapes of canned answers: gzip bodies, duplicate series, cut OpenMetrics, garbage.
@Suite struct ScrapeAnswerTests {
    static let exposition = """
        # TYPE node_memory_MemTotal_bytes gauge
        node_memory_MemTotal_bytes 1000
        # TYPE node_memory_MemAvailable_bytes gauge
        node_memory_MemAvailable_bytes 250

        """

    static func answer(_ body: [UInt8], headers: String = "Content-Type: text/plain; version=0.0.4\r\n") -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\n\(headers)Content-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
    }

    static func scrape(_ answer: [UInt8]) async throws -> NodeMetrics {
        let server = try await CannedServer.start(answer: answer)
        var node = NodeConfig(name: "n", address: server.host, metricsURL: "http://\(server.host):\(server.port)/metrics")
        node.metricsInterval = .milliseconds(200)
        // These tests are about what the answer holds: a loaded machine must not turn a 17 MB
        // transfer into a timeout.
        node.metricsTimeout = .seconds(5)
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(50)
        let engine = Engine(config: ClusterConfig(name: "c", nodes: [node]), options: options)
        let running = Task { await engine.run() }
        let seen = await engine.store.first(where: { $0.nodes.first.map { $0.metrics.memory != nil || $0.metrics.scrapeError != nil } == true }, timeout: .seconds(10))
        running.cancel()
        await running.value
        await server.stop()
        return try #require(seen?.nodes.first?.metrics)
    }

    @Test func aGzipBodyIsInflated() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-gzip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("m.prom")
        try Self.exposition.write(to: file, atomically: true, encoding: .utf8)
        _ = try Run.process("/bin/gzip", ["-9", file.path])
        let compressed = try Array(Data(contentsOf: URL(fileURLWithPath: file.path + ".gz")))
        let metrics = try await Self.scrape(Self.answer(compressed, headers: "Content-Type: text/plain; version=0.0.4\r\nContent-Encoding: gzip\r\n"))
        #expect(metrics.scrapeError == nil, "\(metrics.scrapeError ?? "")")
        #expect(metrics.memory == 0.75)
    }

    @Test func aCorruptGzipBodyIsAClearError() async throws {
        let metrics = try await Self.scrape(Self.answer([0x1F, 0x8B, 0x08, 0, 1, 2, 3, 4, 5, 6, 7]))
        #expect(metrics.scrapeError?.hasPrefix("gzip body cannot be read") == true, "\(metrics.scrapeError ?? "")")
    }

    @Test func aDuplicateSeriesIsReportedAndTheFirstValueKept() async throws {
        let body = Self.exposition + "node_memory_MemAvailable_bytes 900\n"
        let metrics = try await Self.scrape(Self.answer(Array(body.utf8)))
        #expect(metrics.memory == 0.75)
        #expect(metrics.scrapeWarning?.contains("node_memory_MemAvailable_bytes appears more than once") == true, "\(metrics.scrapeWarning ?? "")")
    }

    @Test func anOpenMetricsAnswerCutShortIsRefusedWhole() async throws {
        let metrics = try await Self.scrape(Self.answer(Array(Self.exposition.utf8), headers: "Content-Type: application/openmetrics-text; version=1.0.0\r\n"))
        #expect(metrics.memory == nil)
        #expect(metrics.scrapeError?.contains("without # EOF") == true, "\(metrics.scrapeError ?? "")")
    }

    @Test func garbageIsRefused() async throws {
        let metrics = try await Self.scrape(Self.answer(Array("<html>not metrics</html>\n".utf8)))
        #expect(metrics.scrapeError?.hasPrefix("malformed exposition") == true, "\(metrics.scrapeError ?? "")")
    }
}

extension ScrapeAnswerTests {
    @Test func anOversizedBodyIsRefusedAndSaysSo() async throws {
        // 17 MB of a valid exposition: over the 16 MB cap.
        var body = Array(Self.exposition.utf8)
        let line = Array("padding_metric{i=\"0000000000\"} 1\n".utf8)
        while body.count < 17 << 20 { body += line }
        let metrics = try await Self.scrape(Self.answer(body))
        #expect(metrics.memory == nil)
        #expect(metrics.scrapeError?.hasPrefix("exposition larger than 16 MB") == true, "\(metrics.scrapeError ?? "")")
    }
}
