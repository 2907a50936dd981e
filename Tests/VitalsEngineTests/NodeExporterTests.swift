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
        // CPU needs two scrapes; memory one.
        let seen = await engine.store.first(where: { $0.nodes.first?.metrics.cpu != nil }, timeout: .seconds(15))
        let metrics = try #require(seen?.nodes.first?.metrics)
        #expect(metrics.scrapeError == nil, "\(metrics.scrapeError ?? "")")
        #expect((0...1).contains(metrics.cpu ?? -1))
        let memory = try #require(metrics.memory)
        #expect(memory > 0.001 && memory < 1, "a running machine uses some memory and not all of it")
        #expect((metrics.scrapeSamples ?? 0) > 200, "node_exporter exports hundreds of samples")
        #expect(metrics.scrapeWarning == nil, "\(metrics.scrapeWarning ?? "")")
        running.cancel()
        await running.value
    }
}
