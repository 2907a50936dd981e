import Foundation
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsTesting

/// The lock state machine and its diagnoses on a test clock: no etcd, no sleeping.
@Suite struct LockBookTests {
    let t0 = Fixtures.time
    let nodes = [NodeConfig(name: "orders-1", address: "10.0.0.1"), NodeConfig(name: "orders-2", address: "10.0.0.2"),
                 NodeConfig(name: "orders-10", address: "10.0.0.10")]

    func kv(_ key: String, _ value: String, revision: Int64, lease: Int64) -> EtcdKeyValue {
        EtcdKeyValue(key: Array(key.utf8), value: Array(value.utf8), createRevision: revision, modRevision: revision, lease: lease)
    }

    func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    func diagnose(_ book: LockBook, at time: Date, status: [String: Status] = [:], trouble: [String: String] = [:]) -> [LockSnapshot] {
        let matcher = HolderMatcher(nodes: nodes, pattern: book.config.holderPattern)
        return book.locks(at: time, matcher: matcher).map { lock in
            let context = LockDiagnosis.Context(
                config: book.config, changesInWindow: [lock.name: book.changeCount(lock.name, within: book.config.flapWindow.seconds, at: time)],
                renewalSlack: lock.lease.flatMap { Int64($0, radix: 16) }.flatMap { book.renewalSlack(ofLease: $0) }.map { [lock.name: $0] } ?? [:]
            )
            return LockDiagnosis.apply(lock, context: context, nodeStatus: { status[$0] }, nodeTrouble: { trouble[$0] }, now: time)
        }
    }

    @Test func theLowestCreateRevisionHoldsTheRestWaitInOrder() throws {
        var book = LockBook(config: LockConfig(endpoints: ["http://e:2379"], target: .prefix("/locks/")))
        book.replace([kv("/locks/m/b", "orders-2", revision: 7, lease: 0xb), kv("/locks/m/a", "orders-1", revision: 5, lease: 0xa),
                      kv("/locks/m/c", "orders-10", revision: 9, lease: 0xc)], revision: 9, at: at(0))
        let lock = try #require(diagnose(book, at: at(1)).first)
        #expect(lock.name == "/locks/m" && lock.holderNode == "orders-1" && lock.lease == "a" && !lock.heldSinceExact)
        #expect(lock.queue.map(\.node) == ["orders-2", "orders-10"], "orders-10 is not taken for orders-1")
    }

    @Test func aHandOverIsExactAndCounted() throws {
        var book = LockBook(config: LockConfig(endpoints: ["http://e:2379"], target: .prefix("/locks/")))
        book.replace([kv("/locks/m/a", "orders-1", revision: 5, lease: 1), kv("/locks/m/b", "orders-2", revision: 6, lease: 2)], revision: 6, at: at(0))
        let delete = EtcdWatch.Message(revision: 7, events: [.init(type: .delete, kv: kv("/locks/m/a", "", revision: 5, lease: 1))])
        book.apply(delete, at: at(30))
        let lock = try #require(diagnose(book, at: at(31)).first)
        #expect(lock.holderNode == "orders-2" && lock.heldSince == at(30) && lock.heldSinceExact && lock.changesPerHour == 1)
    }

    @Test func aStaleHolderIsCriticalWithTheLeaseLeft() throws {
        var book = LockBook(config: LockConfig(endpoints: ["http://e:2379"], target: .prefix("/locks/")))
        book.replace([kv("/locks/m/a", "orders-1", revision: 5, lease: 1)], revision: 5, at: at(0))
        book.recordLease(1, ttl: 10, granted: 10, at: at(0))
        let lock = try #require(diagnose(book, at: at(1), status: ["orders-1": .critical], trouble: ["orders-1": "is down"]).first)
        #expect(lock.status == .critical && lock.isStale)
        #expect(lock.diagnoses == ["orders-1 is down but holds /locks/m for 9 s more"])
        let unexplained = try #require(diagnose(book, at: at(1), status: ["orders-1": .critical]).first)
        #expect(unexplained.diagnoses == ["orders-1 is critical but holds /locks/m for 9 s more"])
        let healthy = try #require(diagnose(book, at: at(1), status: ["orders-1": .passing]).first)
        #expect(healthy.status == .passing && !healthy.isStale && healthy.diagnoses.isEmpty)
    }

    /// A holder whose node is slow is not called down: only a node that answers nothing is.
    @Test func theDiagnosisSaysWhetherTheHolderIsDownOrOnlyFailing() throws {
        let t = Date(timeIntervalSince1970: 1_000)
        func check(_ name: String, _ status: Status, _ output: String) -> CheckSnapshot {
            CheckSnapshot(name: name, type: "http", target: "x", status: status, output: output, latencyMs: nil, since: t, lastRun: t)
        }
        var node = NodeSnapshot(name: "orders-1", address: "127.0.0.1", status: .critical, services: ["orders"])
        node.checks = [check("ping", .passing, "up")]
        let service = ServiceSnapshot(
            name: "orders", node: "orders-1", status: .critical,
            checks: [check("http", .critical, "timed out after 1s: the server took longer than the check's timeout to answer")]
        )
        #expect(LockDiagnosis.trouble(of: node, services: [service]) == "is critical (check 'http': timed out after 1s: the server took lon…)")
        node.checks = [check("ping", .critical, "no answer")]
        #expect(LockDiagnosis.trouble(of: node, services: [service]) == "is down", "every check fails")
        node.checks = [check("ping", .passing, "up")]
        node.breakerOpenedAt = t
        #expect(LockDiagnosis.trouble(of: node, services: [service]) == "is down", "its breaker is open")
        node.status = .passing
        #expect(LockDiagnosis.trouble(of: node, services: [service]) == nil)
    }

    @Test func longQueuesLongWaitsAndFlappingAreWarnings() throws {
        var config = LockConfig(endpoints: ["http://e:2379"], target: .prefix("/locks/"), maxWaiters: 0, maxWait: .seconds(60), flapChanges: 2, flapWindow: .seconds(600))
        config.kind = .election
        var book = LockBook(config: config)
        book.replace([kv("/locks/m/a", "orders-1", revision: 1, lease: 1), kv("/locks/m/b", "orders-2", revision: 2, lease: 2),
                      kv("/locks/m/c", "orders-10", revision: 3, lease: 3)], revision: 3, at: at(0))
        // Leadership changes three times in a few minutes.
        for (step, key) in ["/locks/m/a", "/locks/m/b"].enumerated() {
            book.apply(EtcdWatch.Message(revision: Int64(4 + step), events: [.init(type: .delete, kv: kv(key, "", revision: 1, lease: 1))]), at: at(Double(30 * (step + 1))))
        }
        book.apply(EtcdWatch.Message(revision: 6, events: [.init(type: .put, kv: kv("/locks/m/d", "orders-1", revision: 6, lease: 4))]), at: at(100))
        book.apply(EtcdWatch.Message(revision: 7, events: [.init(type: .put, kv: kv("/locks/m/e", "orders-2", revision: 7, lease: 5))]), at: at(101))
        book.apply(EtcdWatch.Message(revision: 8, events: [.init(type: .delete, kv: kv("/locks/m/c", "", revision: 3, lease: 3))]), at: at(110))
        let lock = try #require(diagnose(book, at: at(200)).first)
        #expect(lock.status == .warning)
        // a → b → c → d (orders-1) hold in turn; e (orders-2) has waited since 101 s.
        #expect(lock.holderNode == "orders-1")
        #expect(lock.diagnoses == ["1 waiting (more than 0)", "orders-2 has waited 1m39s (more than 1m)", "leader changed 3 times in 10m"])
    }

    @Test func aLeaseRenewedWithLittleLeftIsTooShort() throws {
        var book = LockBook(config: LockConfig(endpoints: ["http://e:2379"], target: .prefix("/locks/")))
        book.replace([kv("/locks/m/a", "orders-1", revision: 1, lease: 7)], revision: 1, at: at(0))
        book.recordLease(7, ttl: 5, granted: 5, at: at(0))
        book.recordLease(7, ttl: 1, granted: 5, at: at(4))
        book.recordLease(7, ttl: 5, granted: 5, at: at(5.2))  // renewed with nothing left
        let lock = try #require(diagnose(book, at: at(5.5)).first)
        #expect(lock.diagnoses == ["lease TTL 5s is too short: renewed with 0% of it left"])
        #expect(lock.status == .warning)
    }

    @Test func aMissingLeaderKeyIsAWarningAndPatternsFindTheNode() throws {
        var config = LockConfig(endpoints: ["http://e:2379"], target: .leaderKey("/service/pg/leader"), holderPattern: #"host=([a-z0-9-]+)"#)
        config.kind = .leaderKey
        var book = LockBook(config: config)
        book.replace([], revision: 3, at: at(0))
        let vacant = try #require(diagnose(book, at: at(1)).first)
        #expect(vacant.name == "/service/pg/leader" && vacant.holder == nil && vacant.status == .warning)
        #expect(vacant.diagnoses == ["no leader: /service/pg/leader is not set"])
        book.apply(EtcdWatch.Message(revision: 4, events: [.init(type: .put, kv: kv("/service/pg/leader", "{\"host=orders-2\"}", revision: 4, lease: 9))]), at: at(2))
        let led = try #require(diagnose(book, at: at(3)).first)
        #expect(led.holderNode == "orders-2" && led.status == .passing)
    }
}
