import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
import VitalsCore
import VitalsEngine
@testable import VitalsServer
import VitalsTesting

/// The event hub on an in-memory channel and a hand-driven clock: what each client is sent.
@Suite struct EventHubTests {
    /// The events written to `channel` since the last call, as (name, generation) pairs.
    func written(_ channel: EmbeddedChannel) throws -> [(String, UInt64?)] {
        var parser = EventStreamParser()
        var events: [(String, UInt64?)] = []
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            guard case .body(.byteBuffer(let buffer)) = part else { continue }
            for event in try parser.feed(buffer.readableBytesView) {
                let object = try JSONSerialization.jsonObject(with: Data(event.data)) as? [String: Any]
                events.append((event.name, (object?["generation"] as? NSNumber)?.uint64Value))
            }
        }
        return events
    }

    func next(_ snapshot: ClusterSnapshot, _ change: (inout ClusterSnapshot) -> Void = { _ in }) -> ClusterSnapshot {
        var copy = snapshot
        copy.generation += 1
        copy.time = snapshot.time.addingTimeInterval(0.25)
        change(&copy)
        return copy
    }

    @Test func aThrottledClientGetsOneDeltaPerIntervalButAlertsAtOnce() throws {
        let engine = Engine(config: TestCluster.make(nodes: ["a", "b"]))
        let hub = EventHub(backend: FixedBackend(engine: engine))
        let g0 = engine.store.latest
        let start = ContinuousClock.now
        hub.broadcast(g0, now: start)
        let every = EmbeddedChannel()
        let throttled = EmbeddedChannel()
        hub.add(every)
        hub.add(throttled, interval: .seconds(1))
        #expect(try written(every).map(\.0) == ["snapshot"])
        #expect(try written(throttled).map(\.0) == ["snapshot"])

        // A latency changed: the unthrottled client gets it, the throttled one not yet.
        let g1 = next(g0) { $0.nodes[0].metrics.cpu = 0.5 }
        hub.broadcast(g1, now: start + .milliseconds(250))
        #expect(try written(every).map(\.0) == ["delta"])
        #expect(try written(throttled).isEmpty)

        // An alert fires: both get it at once, the throttled one as one delta from where it was.
        let alert = AlertSnapshot(id: "f1", name: "NodeDown", severity: .critical, state: .firing, node: "a", since: g1.time)
        let g2 = next(g1) { $0.alerts = [alert] }
        hub.broadcast(g2, now: start + .milliseconds(500))
        let everyGot = try written(every)
        #expect(everyGot.map(\.0) == ["delta", "alert"])
        let throttledGot = try written(throttled)
        #expect(throttledGot.map(\.0) == ["delta", "alert"])
        #expect(throttledGot.first?.1 == g2.generation)

        // Quiet changes again: held until the interval has passed since the last send…
        let g3 = next(g2) { $0.nodes[1].metrics.cpu = 0.7 }
        hub.broadcast(g3, now: start + .milliseconds(750))
        #expect(try written(throttled).isEmpty)
        // …then sent even though no new generation came.
        hub.broadcast(g3, now: start + .milliseconds(1_600))
        #expect(try written(throttled).map { $0.0 } == ["delta"])
        #expect(try written(every).map(\.0) == ["delta"])
    }

    @Test func aClientFarBehindGetsOneDeltaOrTheWholeSnapshotOnceItsBaseIsGone() throws {
        let engine = Engine(config: TestCluster.make(nodes: ["a"]))
        let hub = EventHub(backend: FixedBackend(engine: engine))
        let g0 = engine.store.latest
        let start = ContinuousClock.now
        hub.broadcast(g0, now: start)
        let near = EmbeddedChannel()
        let far = EmbeddedChannel()
        hub.add(near, interval: .seconds(3_600))
        hub.add(far, interval: .seconds(3_600))
        _ = try written(near)
        _ = try written(far)
        var latest = g0
        for step in 1...10 {
            latest = next(latest) { $0.nodes[0].metrics.cpu = Double(step) / 100 }
            hub.broadcast(latest, now: start + .seconds(step))
        }
        // Ten generations behind: one delta from g0 to the newest.
        hub.broadcast(latest, now: start + .seconds(3_601))
        let got = try written(near)
        #expect(got.map(\.0) == ["delta"])
        #expect(got.first?.1 == latest.generation)
        #expect(try written(far).map(\.0) == ["delta"])
        // More generations than are kept: g0 is gone, so the whole snapshot.
        for step in 11...(EventHub.kept + 20) {
            latest = next(latest) { $0.nodes[0].metrics.cpu = Double(step) / 1000 }
            hub.broadcast(latest, now: start + .seconds(3_601) + .milliseconds(step))
        }
        hub.broadcast(latest, now: start + .seconds(7_300))
        #expect(try written(far).map(\.0) == ["snapshot"])
    }
}
