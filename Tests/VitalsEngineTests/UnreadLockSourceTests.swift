import Foundation
import NIOCore
import NIOPosix
import Testing
import VitalsCore
@testable import VitalsEngine
import VitalsTesting

/// A lock source that has never answered — an endpoint that accepts and stays silent — is
/// unknown with the reason, never passing.
@Suite struct UnreadLockSourceTests {
    @Test func aSilentEndpointIsUnknownWithTheReason() async throws {
        let host = TestCluster.uniqueAddress()
        // Accepts connections and never answers.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: host, port: 2379).get()
        let config = LockConfig(endpoints: ["http://\(host):2379"], target: .prefix("/locks/"))
        let watcher = LockWatcher(config: config, nodes: [])
        let running = Task { await watcher.run() }
        defer { running.cancel() }
        func diagnosed() -> LockSnapshot? {
            watcher.take().map { LockDiagnosis.apply($0.lock, context: $0.context, nodeStatus: { _ in nil }, now: Date()) }.first
        }
        let first = try #require(diagnosed())
        #expect(first.status == .unknown)
        #expect(first.diagnoses == ["not read yet: etcd (http://\(host):2379) has not answered"])
        let deadline = ContinuousClock.now + .seconds(20)
        while diagnosed()?.error?.hasPrefix("not read yet") == true, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        let later = try #require(diagnosed())
        #expect(later.status == .unknown)
        #expect(later.error?.contains("timed out") == true, "\(later.error ?? "nil")")
        try await silent.close()
    }
}
