import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsTesting

/// Locks against a real etcd: holders, waiters and leaders made by `etcdctl lock`, `etcdctl
/// elect` and a leader key written with a lease, as Vitals' engine shows them.
@Suite(.serialized, .enabled(if: RealEtcd.isAvailable))
struct LockTests {
    /// Nodes named as the clients will name themselves; orders-1 is critical (nothing listens).
    static func cluster(locks: [LockConfig]) -> ClusterConfig {
        let dead = TestCluster.uniqueAddress()
        let nodes = [
            NodeConfig(name: "orders-1", address: dead, checks: [CheckConfig(name: "port", target: .tcp(host: dead, port: 1), interval: .milliseconds(300), timeout: .milliseconds(300))]),
            NodeConfig(name: "inventory-1", address: TestCluster.uniqueAddress()),
            NodeConfig(name: "postgres-primary", address: TestCluster.uniqueAddress()),
        ]
        return ClusterConfig(name: "locks", nodes: nodes, locks: locks)
    }

    static func options() -> Engine.Options {
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(100)
        return options
    }

    static func run<T: Sendable>(_ config: ClusterConfig, _ body: (Engine) async throws -> T) async throws -> T {
        let engine = Engine(config: config, options: options())
        let running = Task { await engine.run() }
        defer { running.cancel() }
        let result = try await body(engine)
        running.cancel()
        await running.value
        return result
    }

    @Test func mutexesElectionsAndLeaderKeysAsEtcdctlMakesThem() async throws {
        let etcd = try RealEtcd()
        defer { etcd.stop() }
        let holder = try etcd.start(["lock", "/locks/migration", "--ttl", "3"])
        defer { holder.stop() }
        try holder.waitForOutput("/locks/migration/", timeout: 15)
        let holderKey = holder.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let waiter = try etcd.start(["lock", "/locks/migration", "--ttl", "3"])
        defer { waiter.stop() }
        let inventory = try etcd.start(["elect", "/election/inventory", "inventory-1"])
        defer { inventory.stop() }
        try inventory.waitForOutput("inventory-1", timeout: 15)
        let stale = try etcd.start(["elect", "/election/stale", "orders-1"])
        defer { stale.stop() }
        try stale.waitForOutput("orders-1", timeout: 15)
        let lease = try etcd.grantLease(ttl: 30)
        try etcd.etcdctl(["put", "--lease=\(lease)", "/service/pg/leader", "postgres-primary"])

        let closed = "http://\(TestCluster.uniqueAddress()):2379"
        let config = Self.cluster(locks: [
            LockConfig(endpoints: [closed, etcd.url], target: .prefix("/locks/")),  // the first endpoint is down
            { var c = LockConfig(endpoints: [etcd.url], target: .prefix("/election/")); c.kind = .election; return c }(),
            { var c = LockConfig(endpoints: [etcd.url], target: .leaderKey("/service/pg/leader")); c.kind = .leaderKey; return c }(),
        ])
        try await Self.run(config) { engine in
            let seen = await engine.store.first(where: { snapshot in
                snapshot.locks.first { $0.name == "/locks/migration" }?.waiters == 1
                    && snapshot.locks.first { $0.name == "/locks/migration" }?.source.hasPrefix("watch") == true
                    && snapshot.locks.first { $0.name == "/election/stale" }?.isStale == true
                    && snapshot.locks.first { $0.name == "/election/stale" }?.leaseTTLSeconds != nil
                    && snapshot.locks.first { $0.name == "/service/pg/leader" }?.leaseTTLSeconds != nil
                    && snapshot.alerts.contains { $0.name == "StaleLockHolder" }
            }, timeout: .seconds(20))
            let snapshot = try #require(seen)
            let mutex = try #require(snapshot.locks.first { $0.name == "/locks/migration" })
            #expect(mutex.kind == .mutex && mutex.holderKey == holderKey && mutex.status == .passing)
            #expect(mutex.holder?.hasPrefix("lease ") == true, "etcdctl lock writes no value: the lease names the holder")
            #expect(mutex.source.hasPrefix("watch"))
            let election = try #require(snapshot.locks.first { $0.name == "/election/inventory" })
            #expect(election.kind == .election && election.holderNode == "inventory-1" && election.status == .passing)
            let leader = try #require(snapshot.locks.first { $0.name == "/service/pg/leader" })
            #expect(leader.kind == .leaderKey && leader.holderNode == "postgres-primary")
            // etcdctl pads lease ids to 16 hex digits; Vitals writes them as etcd's keys do, unpadded.
            #expect(leader.lease.flatMap { Int64($0, radix: 16) } == Int64(lease, radix: 16), "\(leader.lease ?? "nil") vs \(lease)")
            #expect((1...30).contains(leader.leaseTTLSeconds ?? 0) && leader.grantedTTLSeconds == 30)
            let dead = try #require(snapshot.locks.first { $0.name == "/election/stale" })
            #expect(dead.status == .critical)
            #expect(dead.diagnoses.first?.hasPrefix("orders-1 is down but holds /election/stale for ") == true, "\(dead.diagnoses)")
            let alert = try #require(snapshot.alerts.first { $0.name == "StaleLockHolder" })
            #expect(alert.labels["lock"] == "/election/stale" && alert.node == "orders-1" && alert.severity == .critical)

            // SIGKILL the holder: its lease lives on for its TTL, then the waiter takes the lock.
            kill(holder.pid, SIGKILL)
            try waiter.waitForOutput("/locks/migration/", timeout: 20)
            let waiterKey = waiter.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let handedOver = await engine.store.first(where: { snapshot in
                snapshot.locks.first { $0.name == "/locks/migration" }?.holderKey == waiterKey
            }, timeout: .seconds(30))
            let after = try #require(handedOver?.locks.first { $0.name == "/locks/migration" })
            #expect(after.waiters == 0 && after.heldSinceExact && after.changesPerHour >= 1)
        }
    }

    @Test(.enabled(if: TestCertificates.isAvailable, "needs the real component; scripts/test installs it")) func anEtcdThatSpeaksOnlyTLSAndWantsAClientCertificate() async throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        let host = TestCluster.uniqueAddress()
        let client = try certificates.server(["vitals"], file: "client")
        let etcd = try RealEtcd(
            host: host, tls: try certificates.server([host], file: "etcd"), clientCA: certificates.caFile,
            etcdctlTLS: (certificates.caFile, client.certificate, client.key)
        )
        defer { etcd.stop() }
        let holder = try etcd.start(["lock", "/locks/tls", "--ttl", "5"])
        defer { holder.stop() }
        try holder.waitForOutput("/locks/tls/", timeout: 15)
        var trusted = LockConfig(endpoints: [etcd.url], target: .prefix("/locks/"))
        trusted.tls = TLSOptions(caFile: certificates.caFile, certFile: client.certificate, keyFile: client.key)
        var anonymous = LockConfig(endpoints: [etcd.url], target: .prefix("/locks/"))
        anonymous.tls = TLSOptions(caFile: certificates.caFile)
        try await Self.run(Self.cluster(locks: [trusted])) { engine in
            // Read whole, then followed by a watch over the same TLS connection setup.
            let seen = await engine.store.first(where: { snapshot in
                snapshot.locks.first { $0.name == "/locks/tls" }?.holder != nil
                    && snapshot.locks.first { $0.name == "/locks/tls" }?.source.hasPrefix("watch") == true
            }, timeout: .seconds(20))
            #expect(seen != nil, "\(engine.store.latest.locks)")
        }
        try await Self.run(Self.cluster(locks: [anonymous])) { engine in
            // Unknown at first ("not read yet"), then unknown with the handshake's reason.
            let refused = await engine.store.first(where: { snapshot in
                snapshot.locks.first?.status == .unknown && snapshot.locks.first?.error?.hasPrefix("not read yet") == false
            }, timeout: .seconds(20))
            let problem = refused?.locks.first?.error ?? ""
            #expect(problem.contains("the server refused the client certificate, or wants one"), "\(problem)")
        }
    }

    @Test func anUnreachableEtcdIsUnknownWithTheReasonAndTheLastHolderStays() async throws {
        let etcd = try RealEtcd()
        let lease = try etcd.grantLease(ttl: 60)
        try etcd.etcdctl(["put", "--lease=\(lease)", "/service/pg/leader", "postgres-primary"])
        let closed = "http://\(TestCluster.uniqueAddress()):2379"
        let config = Self.cluster(locks: [
            { var c = LockConfig(endpoints: [etcd.url], target: .leaderKey("/service/pg/leader")); c.kind = .leaderKey; return c }(),
            LockConfig(endpoints: [closed], target: .prefix("/locks/")),
        ])
        try await Self.run(config) { engine in
            let first = await engine.store.first(where: { snapshot in
                snapshot.locks.first { $0.name == "/service/pg/leader" }?.holderNode == "postgres-primary"
                    && snapshot.locks.first { $0.name == "/locks/" }?.error?.contains("etcd unreachable") == true
            }, timeout: .seconds(20))
            let never = try #require(first?.locks.first { $0.name == "/locks/" })
            #expect(never.error?.contains("etcd unreachable") == true && never.error?.contains("connection refused") == true, "\(never.error ?? "")")
            etcd.stop()
            let gone = await engine.store.first(where: { snapshot in
                snapshot.locks.first { $0.name == "/service/pg/leader" }?.status == .unknown
            }, timeout: .seconds(20))
            let leader = try #require(gone?.locks.first { $0.name == "/service/pg/leader" })
            #expect(leader.holderNode == "postgres-primary", "never shown as released")
            #expect(leader.diagnoses.first?.contains("etcd unreachable") == true)
        }
    }

    @Test func tenThousandKeysAreReadInPagesAndOddBytesAreEscaped() async throws {
        let etcd = try RealEtcd()
        defer { etcd.stop() }
        let client = EtcdClient(endpoints: [try #require(HTTPTarget(etcd.url))])
        // 10,000 waiters under one prefix, a hundred per transaction.
        for batch in 0..<100 {
            let puts = (0..<100).map { i -> [String: Any] in
                let key = "/many/queue/\(String(format: "%05d", batch * 100 + i))"
                return ["request_put": ["key": Data(key.utf8).base64EncodedString(), "value": Data("w\(i)".utf8).base64EncodedString()]]
            }
            _ = try await client.post("/v3/kv/txn", ["success": puts])
        }
        let odd: [UInt8] = Array("/many/odd/".utf8) + [0xFF, 0xFE, 0x1B] + Array("/1".utf8)
        _ = try await client.post("/v3/kv/put", ["key": Data(odd).base64EncodedString(), "value": Data(repeating: 0x41, count: 1 << 20).base64EncodedString()])
        let (_, kvs) = try await client.range(Array("/many/".utf8))
        #expect(kvs.count == 10_001)
        let oddKey = try #require(kvs.first { $0.key == odd })
        #expect(oddKey.keyText == "/many/odd/\\xff\\xfe\\x1b/1")
        #expect(oddKey.value.count == 1 << 20)

        let config = Self.cluster(locks: [LockConfig(endpoints: [etcd.url], target: .prefix("/many/"))])
        try await Self.run(config) { engine in
            let seen = await engine.store.first(where: { snapshot in
                snapshot.locks.first { $0.name == "/many/queue" }?.waiters == 9_999
            }, timeout: .seconds(30))
            let snapshot = try #require(seen)
            let queue = try #require(snapshot.locks.first { $0.name == "/many/queue" })
            #expect(queue.holderKey == "/many/queue/00000" && queue.status == .warning)
            #expect(queue.diagnoses.contains("9999 waiting (more than 5)"))
            let odd = try #require(snapshot.locks.first { $0.name.hasPrefix("/many/odd/") })
            #expect(odd.name == "/many/odd/\\xff\\xfe\\x1b" && (odd.holder?.count ?? 0) <= 60)
        }
    }

    @Test func aWatchOnACompactedRevisionSaysSo() async throws {
        let etcd = try RealEtcd()
        defer { etcd.stop() }
        for i in 0..<5 { try etcd.etcdctl(["put", "/c/k", "v\(i)"]) }
        try etcd.etcdctl(["compact", "5"])
        let client = EtcdClient(endpoints: [try #require(HTTPTarget(etcd.url))])
        var failure: (any Error)?
        do {
            for try await _ in client.watch(Array("/c/".utf8), from: 2) {}
        } catch {
            failure = error
        }
        guard case EtcdError.compacted(let revision)? = failure else {
            Issue.record("expected a compacted error, got \(String(describing: failure))")
            return
        }
        #expect(revision == 5)
    }
}

/// The TLS keys of a lock source in the cluster file.
@Suite struct LockTLSConfigTests {
    @Test func httpsEndpointsTakeTLSKeysAndPlainOnesRefuseThem() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-locktls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".write(toFile: "\(folder)/ca.pem", atomically: true, encoding: .utf8)
        try "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n".write(toFile: "\(folder)/key.pem", atomically: true, encoding: .utf8)
        let yaml = """
            cluster: l
            nodes: [ { name: a, address: 127.0.0.1 } ]
            locks:
              - { etcd: "https://10.0.0.5:2379", prefix: /locks/, tls_ca_file: ca.pem, tls_cert_file: ca.pem, tls_key_file: key.pem }
              - { etcd: "http://10.0.0.5:2379", prefix: /locks/, tls_skip_verify: true }
              - { etcd: "ftp://10.0.0.5", prefix: /other/ }
            """
        let result = ClusterConfigLoader.check(text: yaml, file: "\(folder)/l.yaml")
        #expect(result.diagnostics.map(\.description).map { $0.replacingOccurrences(of: folder + "/", with: "") } == [
            "l.yaml:5:54: 'tls_skip_verify' in a lock source only applies to lock sources with https:// endpoints",
            "l.yaml:6:13: etcd endpoint 'ftp://10.0.0.5' is not an http:// or https:// URL with a host",
        ])
        let good = try #require(ClusterConfigLoader.check(text: yaml.components(separatedBy: "\n").prefix(4).joined(separator: "\n"), file: "\(folder)/l.yaml").config)
        #expect(good.locks[0].tls == TLSOptions(caFile: "\(folder)/ca.pem", certFile: "\(folder)/ca.pem", keyFile: "\(folder)/key.pem"))
    }
}
