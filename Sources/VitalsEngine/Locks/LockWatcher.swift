import Foundation
import Synchronization
import VitalsCore

/// Watches one lock source in etcd: reads it whole, then follows it with a watch (consistent:
/// the watch starts at the revision after the read), and reads the holders' leases every
/// second. When the watch fails it polls every second and tries the watch again after
/// `watchRetry`; when etcd cannot be reached the locks keep their last known holders and say why.
public final class LockWatcher: Sendable {
    public let config: LockConfig
    let client: EtcdClient
    private let matcher: HolderMatcher
    private let book: Mutex<LockBook>
    private let changed = Atomic<Bool>(true)
    private let now: @Sendable () -> Date
    private let watchRetry: Duration

    public init(config: LockConfig, nodes: [NodeConfig], now: @escaping @Sendable () -> Date = Date.init, watchRetry: Duration = .seconds(10)) {
        self.config = config
        client = EtcdClient(endpoints: config.endpoints.compactMap(HTTPTarget.init), username: config.username, password: config.password, tls: config.tls)
        matcher = HolderMatcher(nodes: nodes, pattern: config.holderPattern)
        book = Mutex(LockBook(config: config))
        self.now = now
        self.watchRetry = watchRetry
    }

    /// Whether anything changed since the last `take`.
    var hasChanges: Bool { changed.load(ordering: .relaxed) }

    /// The locks as facts, with what their diagnosis needs; clears `hasChanges`.
    func take() -> [(lock: LockSnapshot, context: LockDiagnosis.Context)] {
        changed.store(false, ordering: .relaxed)
        let time = now()
        return book.withLock { book in
            let locks = book.locks(at: time, matcher: matcher)
            var changes: [String: Int] = [:]
            var slack: [String: Double] = [:]
            for lock in locks {
                changes[lock.name] = book.changeCount(lock.name, within: config.flapWindow.seconds, at: time)
                if let hex = lock.lease, let lease = Int64(hex, radix: 16), let value = book.renewalSlack(ofLease: lease) { slack[lock.name] = value }
            }
            let context = LockDiagnosis.Context(config: config, changesInWindow: changes, renewalSlack: slack)
            return locks.map { ($0, context) }
        }
    }

    private var key: [UInt8] { Array(config.key.utf8) }
    private var isPrefix: Bool { if case .prefix = config.target { true } else { false } }

    private func update(_ body: (inout LockBook) -> Void) {
        book.withLock { body(&$0) }
        changed.store(true, ordering: .relaxed)
    }

    /// Runs until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            let revision: Int64
            do {
                let (read, kvs) = try await client.range(key, prefix: isPrefix)
                revision = read
                let time = now()
                update { $0.replace(kvs, revision: read, at: time) }
                await readLeases()
            } catch {
                let reason = String(describing: error)
                update { $0.error = reason; $0.mode = "unreachable" }
                guard (try? await Task.sleep(for: .seconds(1))) != nil else { return }
                continue
            }
            let failure = await follow(from: revision + 1)
            guard !Task.isCancelled else { return }
            if case EtcdError.compacted = failure { continue }
            await poll(for: watchRetry, because: failure)
        }
    }

    /// Follows the watch (and reads leases every second) until it fails; returns why.
    private func follow(from revision: Int64) async -> any Error {
        let endpoint = client.currentEndpoint.map { "\($0.host):\($0.port)" } ?? "?"
        update { $0.mode = "watch \(endpoint)" }
        return await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                do {
                    for try await message in self.client.watch(self.key, prefix: self.isPrefix, from: revision) {
                        let time = self.now()
                        self.update { $0.apply(message, at: time) }
                    }
                    return EtcdError.badAnswer("etcd ended the watch")
                } catch {
                    return error
                }
            }
            group.addTask {
                while (try? await Task.sleep(for: .seconds(1))) != nil { await self.readLeases() }
                return nil
            }
            let failure = await group.next() ?? nil
            group.cancelAll()
            return failure ?? CancellationError()
        }
    }

    /// Reads the whole source every second for `duration` (the watch failed).
    private func poll(for duration: Duration, because failure: any Error) async {
        let reason = String(describing: failure)
        update { $0.mode = "polling (watch: \(reason))" }
        let rounds = max(1, Int(duration.seconds))
        for _ in 0..<rounds {
            guard (try? await Task.sleep(for: .seconds(1))) != nil else { return }
            do {
                let (revision, kvs) = try await client.range(key, prefix: isPrefix)
                let time = now()
                update { book in
                    book.replace(kvs, revision: revision, at: time)
                    book.mode = "polling (watch: \(reason))"
                }
                await readLeases()
            } catch {
                let why = String(describing: error)
                update { $0.error = why; $0.mode = "unreachable" }
            }
        }
    }

    /// Asks etcd how long each holder's lease has left (at most 200 a round).
    private func readLeases() async {
        let leases = book.withLock { Array($0.leasesToRead.prefix(200)) }
        for lease in leases {
            guard let (ttl, granted) = try? await client.timeToLive(lease) else { continue }
            let time = now()
            update { $0.recordLease(lease, ttl: ttl, granted: granted, at: time) }
        }
    }
}
