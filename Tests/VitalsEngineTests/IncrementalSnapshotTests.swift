import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsSim
import VitalsTesting

/// The incremental snapshot must equal a full rebuild, whatever happens and whenever it is
/// published: random sequences of check results, scrapes and log reads, with publishes in between.
@Suite struct IncrementalSnapshotTests {
    @Test(arguments: 0..<40)
    func incrementalEqualsFullRebuild(seed: Int) throws {
        let config = try Fixtures.ecommerce()
        let layout = ClusterLayout(config)
        var random = SplitMix64(seed: UInt64(seed) &* 7919 &+ 1)
        var state = EngineState(config: config, layout: layout, time: Fixtures.time)
        var series = config.nodes.map { _ in NodeSeries() }
        var time = Fixtures.time
        let statuses: [Status] = [.passing, .passing, .passing, .warning, .critical]
        for step in 0..<300 {
            time = time.addingTimeInterval(Double.random(in: 0.001...0.5, using: &random))
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<6:
                let check = Int.random(in: 0..<layout.checkCount, using: &random)
                let status = statuses.randomElement(using: &random)!
                let latency: Duration? = Bool.random(using: &random) ? .microseconds(Int.random(in: 100...900_000, using: &random)) : nil
                state.record(check: check, outcome: ProbeOutcome(status: status, output: "step \(step): \(status)", latency: latency), at: time)
            case 6..<8:
                let node = Int.random(in: 0..<config.nodes.count, using: &random)
                // Through the production path: an exposition read by the Scraper, then recorded.
                let available = Double.random(in: 0...100, using: &random)
                let outcome = Bool.random(using: &random)
                    ? Scraper.outcome(
                        "node_memory_MemTotal_bytes 100\nnode_memory_MemAvailable_bytes \(available)\nhttp_requests_total \(step * 10)\n",
                        node: config.nodes[node].name, series: &series[node], at: time
                    )
                    : .failure(ScrapeError(reason: "refused at step \(step)"))
                state.recordScrape(node: node, outcome: outcome)
            case 8:
                let node = Int.random(in: 0..<config.nodes.count, using: &random)
                state.recordLogs(node: node, lines: (0..<Int.random(in: 0...3, using: &random)).map { "line \(step).\($0)" })
            default:
                guard let published = state.publish(time: time, force: false) else { continue }
                let full = SnapshotBuilder.full(config: config, layout: layout, facts: state.facts, generation: published.generation, time: time)
                #expect(published.withoutAlerts == full, "seed \(seed), step \(step)")
                if published.withoutAlerts != full { return }
            }
        }
        let published = state.publish(time: time, force: true)
        let last = try #require(published)
        #expect(last.withoutAlerts == SnapshotBuilder.full(config: config, layout: layout, facts: state.facts, generation: last.generation, time: time))
    }

    @Test func nothingChangedMeansNoNewGeneration() throws {
        let config = try Fixtures.ecommerce()
        var state = EngineState(config: config, layout: ClusterLayout(config), time: Fixtures.time)
        #expect(state.publish(time: Fixtures.time, force: false) == nil)
        state.recordLogs(node: 0, lines: [])  // the same as before: not a change
        #expect(state.publish(time: Fixtures.time, force: false) == nil)
        state.record(check: 0, outcome: ProbeOutcome(status: .passing, output: "ok", latency: nil), at: Fixtures.time)
        #expect(state.publish(time: Fixtures.time, force: false)?.generation == 1)
    }

    @Test func unchangedServicesShareTheirStorage() throws {
        let config = try Fixtures.ecommerce()
        let layout = ClusterLayout(config)
        var state = EngineState(config: config, layout: layout, time: Fixtures.time)
        let first = state.publish(time: Fixtures.time, force: true)
        let before = try #require(first)
        state.record(check: layout.checkCount - 1, outcome: ProbeOutcome(status: .critical, output: "x", latency: nil), at: Fixtures.time)
        let second = state.publish(time: Fixtures.time, force: false)
        let after = try #require(second)
        // The first service's checks were not touched: same buffer, not a copy.
        let same = before.services[0].checks.withUnsafeBufferPointer { a in after.services[0].checks.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
        #expect(same)
        #expect(after.services.last?.status == .critical)
    }
}

extension ClusterSnapshot {
    /// The snapshot without the alert section, which the engine adds on top of the builder's work.
    var withoutAlerts: ClusterSnapshot {
        var result = self
        result.alerts = []
        result.silences = []
        result.alertHistory = []
        return result
    }
}
