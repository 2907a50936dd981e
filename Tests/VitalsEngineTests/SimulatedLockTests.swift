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
        let config = try Self.demo(ttl: .seconds(8))
        var options = Engine.Options()
        options.firstRunsWithin = .milliseconds(300)
        try await LiveCluster.with(config, options: options, scenario: .steady) { live in
            let held = await live.first(timeout: .seconds(30), where: { snapshot in
                snapshot.locks.first { $0.name == "/locks/orders-migration" }.map { $0.holderNode != nil && $0.waiters == 1 } == true
            })
            let before = try #require(held?.locks.first { $0.name == "/locks/orders-migration" })
            let holder = try #require(before.holderNode)
            let waiter = try #require(before.queue.first?.node)
            // The holder's process hangs: its checks time out and its lock client stops renewing.
            try await live.simulator.inject(.hang, into: holder)
            let stale = await live.first(timeout: .seconds(30), where: { snapshot in
                snapshot.locks.first { $0.name == "/locks/orders-migration" }?.isStale == true
            })
            let flagged = try #require(stale?.locks.first { $0.name == "/locks/orders-migration" })
            #expect(flagged.holderNode == holder && flagged.status == .critical)
            // A hung process still accepts connections (the kernel does): its HTTP check times out,
            // and the diagnosis says that rather than "down".
            let said = flagged.diagnoses.first ?? ""
            #expect(said.hasPrefix("\(holder) is critical (check 'http': timed out") && said.contains(") but holds /locks/orders-migration"), "\(flagged.diagnoses)")
            let alerted = await live.first(timeout: .seconds(30), where: { snapshot in
                snapshot.alerts.contains { $0.name == "StaleLockHolder" && $0.node == holder }
            })
            let alert = try #require(alerted?.alerts.first { $0.name == "StaleLockHolder" })
            #expect(alert.labels["lock"] == "/locks/orders-migration" && alert.severity == .critical)
            #expect(alert.summary.hasPrefix("\(holder) is critical (check 'http'") && alert.summary.contains("but holds /locks/orders-migration"))
            let handedOver = await live.first(timeout: .seconds(20), where: { snapshot in
                snapshot.locks.first { $0.name == "/locks/orders-migration" }?.holderNode == waiter
            })
            let after = try #require(handedOver?.locks.first { $0.name == "/locks/orders-migration" })
            #expect(after.heldSinceExact && !after.isStale && after.queue.isEmpty)
        }
    }

    @Test func theLockHolderDiesScenarioCrashesOnlyOrders1() throws {
        let scenario = try #require(Scenario.named("lock-holder-dies"))
        let crashed = scenario.condition(node: "orders-1", services: ["orders"], elapsed: .seconds(30))
        #expect(crashed.health == .down)
        #expect(scenario.condition(node: "orders-2", services: ["orders"], elapsed: .seconds(30)) == .healthy)
        #expect(scenario.condition(node: "orders-1", services: ["orders"], elapsed: .seconds(70)) == .healthy, "back after a while")
    }
}
