import Foundation
import Testing
import VitalsTesting

/// The Locks pane of the real binary in tmux, on a real etcd changed by etcdctl.
@Suite(.serialized, .enabled(if: ExternalTool.available("tmux", package: "tmux") && RealEtcd.isAvailable))
struct LockEndToEndTests {
    let vitals = VitalsBinary.path

    @Test func locksMadeByEtcdctlAppearInTheLocksPane() throws {
        let etcd = try RealEtcd(host: "127.0.4.1")
        defer { etcd.stop() }
        let session = try TmuxSession(width: 150, height: 20)
        defer { session.close() }
        let cluster = Fixtures.path("Tests/Fixtures/locks-cluster.yaml")
        try session.run("cd \(Fixtures.repositoryRoot.path) && \(vitals) \(cluster) --state \(EndToEndTests.temporaryStatePath()) --no-bell; echo EXITED:$?")
        try session.press("3")
        try session.waitFor("/service/pg/leader", "no leader")

        let election = try etcd.start(["elect", "/election/inventory", "inventory-1"])
        defer { election.stop() }
        try session.waitFor("election held", timeout: 10) { $0.contains("/election/inventory") && $0.contains("inventory-1") }

        let lease = try etcd.grantLease(ttl: 30)
        try etcd.etcdctl(["put", "--lease=\(lease)", "/service/pg/leader", "orders-1"])
        let stale = try session.waitFor("stale leader", timeout: 10) { $0.contains("orders-1 is down but holds /service/pg/leader") }
        #expect(stale.contains("✖ critical"))

        let holder = try etcd.start(["lock", "/locks/migration", "--ttl", "2"])
        defer { holder.stop() }
        try holder.waitForOutput("/locks/migration/", timeout: 10)
        let waiter = try etcd.start(["lock", "/locks/migration", "--ttl", "2"])
        defer { waiter.stop() }
        try session.waitFor("a waiter", timeout: 10) { $0.contains("/locks/migration") && $0.contains("1 · ") }
        kill(holder.pid, SIGKILL)
        try waiter.waitForOutput("/locks/migration/", timeout: 15)
        let key = waiter.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let lease16 = String(key.split(separator: "/").last ?? "")
        try session.waitFor("the waiter holds it", timeout: 10) { screen in
            screen.split(separator: "\n").contains { $0.contains("/locks/migration") && $0.contains("lease \(lease16.prefix(8))") && !$0.contains("1 · ") }
        }
        try session.press("q")
        try session.waitFor("EXITED:0")
    }
}
