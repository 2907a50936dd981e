import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsSim
import VitalsTesting

/// The demo's locks, with no setup: the simulated etcd on the simulated etcd nodes, read by the
/// same client, watch and diagnosis as a real etcd.
@Suite struct SimulatedLockTests {
    static func demo(ttl: Duration) throws -> ClusterConfig {
        var config = TestCluster.relocated(try Fixtures.ecommerce())
        let locks = (config.simulation?.locks ?? []).map { lock -> SimulatedLock in
            var shorter = lock
            shorter.ttl = ttl
            return shorter
        }
        config.simulation?.locks = locks
        return config
    }

    @Test func theDemoHasAMutexWithAWaiterAnElectionAndALeaderKey() async throws {
        let config = try Self.demo(ttl: .seconds(10))
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(300)
        try await LiveCluster.with(config, options: options, scenario: .steady) { live in
            let seen = await live.first(timeout: .seconds(20), where: { snapshot in
                snapshot.locks.count == 3 && snapshot.locks.allSatisfy { $0.holderNode != nil && $0.source.hasPrefix("watch") }
            })
            let locks = try #require(seen?.locks)
            let mutex = try #require(locks.first { $0.name == "/locks/orders-migration" })
            #expect(mutex.kind == .mutex && mutex.holderNode == "orders-1" && mutex.queue.map(\.node) == ["orders-2"])
            #expect(mutex.leaseTTLSeconds.map { (8...10).contains($0) } == true && mutex.grantedTTLSeconds == 10)
            let election = try #require(locks.first { $0.name == "/election/inventory" })
            #expect(election.kind == .election && election.holderNode == "inventory-1")
            let leader = try #require(locks.first { $0.name == "/service/postgres/leader" })
            #expect(leader.kind == .leaderKey && leader.holderNode == "postgres-primary" && leader.status == .passing)
        }
    }

    @Test func theHolderDiesIsFlaggedStaleAndTheWaiterTakesOver() async throws {
        let config = try Self.demo(ttl: .seconds(3))
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(300)
        // orders-1 crashes five seconds in and stays down for ten.
        let scenario = try #require(Scenario.named("lock-holder-dies")).faster(by: 3)
        try await LiveCluster.with(config, options: options, scenario: scenario) { live in
            let stale = await live.first(timeout: .seconds(30), where: { snapshot in
                snapshot.locks.first { $0.name == "/locks/orders-migration" }?.isStale == true
            })
            let flagged = try #require(stale?.locks.first { $0.name == "/locks/orders-migration" })
            #expect(flagged.holderNode == "orders-1" && flagged.status == .critical)
            #expect(flagged.diagnoses.first?.hasPrefix("orders-1 is down but holds /locks/orders-migration for ") == true, "\(flagged.diagnoses)")
            let handedOver = await live.first(timeout: .seconds(20), where: { snapshot in
                snapshot.locks.first { $0.name == "/locks/orders-migration" }?.holderNode == "orders-2"
            })
            let after = try #require(handedOver?.locks.first { $0.name == "/locks/orders-migration" })
            #expect(after.heldSinceExact && !after.isStale && after.queue.isEmpty)
        }
    }
}
