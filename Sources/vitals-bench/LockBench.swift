import ArgumentParser
import Foundation
import VitalsCore
import VitalsEngine
import VitalsHarness

/// How long a change in etcd takes to reach Vitals' snapshot (what the screen draws from),
/// next to a bare watch on the same key as the baseline, in the same run on a real etcd.
struct LockBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locks",
        abstract: "Latency of a lock change from etcd to the snapshot, next to a bare etcd watch."
    )

    @Option(help: "Changes to time.")
    var changes = 200

    func run() async throws {
        let etcd = try BenchEtcd(host: "127.0.6.1")
        defer { etcd.stop() }
        let url = etcd.url
        guard let target = HTTPTarget(url) else { return }
        let client = EtcdClient(endpoints: [target])
        _ = try await client.post("/v3/kv/put", ["key": Data("/bench/leader".utf8).base64EncodedString(), "value": Data("n0".utf8).base64EncodedString()])

        var lock = LockConfig(endpoints: [url], target: .leaderKey("/bench/leader"))
        lock.kind = .leaderKey
        let nodes = (0...changes).map { NodeConfig(name: "n\($0)", address: "127.0.6.\(2 + $0 % 200)") }
        let engine = Engine(config: ClusterConfig(name: "bench", nodes: nodes, locks: [lock]))
        let running = Task { await engine.run() }
        defer { running.cancel() }
        _ = await engine.store.first(where: { $0.locks.first?.holderNode == "n0" }, timeout: .seconds(10))

        var bare: [Double] = []
        var vitals: [Double] = []
        for index in 1...changes {
            let watch = client.watch(Array("/bench/leader".utf8), prefix: false, from: 0)
            var iterator = watch.makeAsyncIterator()
            _ = try await iterator.next()  // created
            let value = "n\(index)"
            let start = ContinuousClock.now
            async let seen = engine.store.first(where: { $0.locks.first?.holderNode == value }, timeout: .seconds(10))
            _ = try await client.post("/v3/kv/put", ["key": Data("/bench/leader".utf8).base64EncodedString(), "value": Data(value.utf8).base64EncodedString()])
            while let message = try await iterator.next() {
                if message.events.contains(where: { $0.kv.valueText == value }) { break }
            }
            bare.append((ContinuousClock.now - start).seconds)
            guard await seen != nil else { throw ValidationError("the change to \(value) never reached the snapshot") }
            vitals.append((ContinuousClock.now - start).seconds)
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...300)))
        }
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
        }
        print("lock change → snapshot, \(changes) changes of a leader key on a real etcd (\(url)):")
        print("  bare etcd watch (baseline): p50 \(Report.ms(percentile(bare, 0.5))), p99 \(Report.ms(percentile(bare, 0.99))), max \(Report.ms(bare.max() ?? 0))")
        print("  vitals snapshot:            p50 \(Report.ms(percentile(vitals, 0.5))), p99 \(Report.ms(percentile(vitals, 0.99))), max \(Report.ms(vitals.max() ?? 0))")
        print("  (the dashboard draws a new snapshot within --refresh-ms, 250 ms by default, of its publication)")
    }
}
