import Foundation
import Synchronization
import VitalsCore

/// Consul's blocking queries: every catalog and health answer carries an index
/// (`X-Consul-Index`) that grows when what it shows changes; a request with `?index=N` waits
/// until its answer's index passes N, or `?wait=` (5 minutes by default, 10 at most) ends.
///
/// The catalog is rebuilt only when the snapshot's generation or the registry changed, and only
/// while someone asks or waits; each rebuild compares what every key shows and moves the index of
/// the keys that changed. Answers are encoded once per index, however many clients ask.
public final class CatalogWatch: Sendable {
    private struct Waiter {
        let key: String
        let after: UInt64
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var catalog: ConsulCatalog?
        var built: (generation: UInt64, registry: UInt64)?
        var fingerprints: [String: Int] = [:]
        var keyIndex: [String: UInt64] = [:]
        var index: UInt64 = 1
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        var answers: [String: [UInt8]] = [:]
    }

    private let backend: any APIBackend
    private let state = Mutex(State())
    private let pollInterval: Duration

    public static let defaultWait = Duration.seconds(300)
    public static let maxWait = Duration.seconds(600)

    public init(backend: any APIBackend, pollInterval: Duration = .milliseconds(20)) {
        self.backend = backend
        self.pollInterval = pollInterval
    }

    /// Clients waiting now.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// The catalog as it is now, and the index of `key`.
    func current(_ key: String) -> (ConsulCatalog, UInt64) {
        refresh()
        return state.withLock { state in
            // The catalog is set by `refresh`.
            let catalog = state.catalog ?? ConsulCatalog(snapshot: backend.engine.store.latest, config: backend.engine.config, registrations: [:])
            return (catalog, Self.index(of: key, in: state))
        }
    }

    /// An answer encoded once per index: `make` runs only when `cacheKey` has none yet.
    func answer(_ cacheKey: String, make: () -> [UInt8]) -> [UInt8] {
        if let bytes = state.withLock({ $0.answers[cacheKey] }) { return bytes }
        let bytes = make()
        state.withLock { state in
            if state.answers.count > 4_096 { state.answers.removeAll() }
            state.answers[cacheKey] = bytes
        }
        return bytes
    }

    private static func index(of key: String, in state: State) -> UInt64 {
        state.keyIndex[key] ?? state.keyIndex["services"] ?? state.index
    }

    /// Waits until `key`'s index is past `after`, or `wait` has passed.
    func wait(for key: String, after: UInt64, wait: Duration) async {
        refresh()
        let deadline = ContinuousClock.now + wait
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                guard Self.index(of: key, in: state) <= after else { return true }
                state.waiters[state.nextWaiter] = Waiter(key: key, after: after, deadline: deadline, continuation: continuation)
                state.nextWaiter += 1
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Rebuilds the catalog when the snapshot or the registry moved on, moving the index of
    /// every key whose answer changed, and wakes the waiters whose key moved.
    func refresh() {
        let engine = backend.engine
        let snapshot = engine.store.latest
        let registry = backend.registry
        let version = (snapshot.generation, registry?.version ?? 0)
        guard state.withLock({ $0.built.map { $0 != version } ?? true }) else { return }
        var registrations: [String: Registration] = [:]
        for registration in registry?.all ?? [] { registrations[registration.id] = registration }
        let catalog = ConsulCatalog(snapshot: snapshot, config: engine.config, registrations: registrations)
        let fingerprints = catalog.fingerprints()
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            // Another refresh may have built a newer one meanwhile.
            if let built = state.built, built.generation > version.0 || built.registry > version.1 { return [] }
            let changed = Set(fingerprints.keys).union(state.fingerprints.keys).filter { fingerprints[$0] != state.fingerprints[$0] }
            if !changed.isEmpty, state.catalog != nil {
                state.index += 1
                for key in changed { state.keyIndex[key] = state.index }
            } else if state.catalog == nil {
                for key in fingerprints.keys { state.keyIndex[key] = state.index }
            }
            state.catalog = catalog
            state.built = version
            state.fingerprints = fingerprints
            if !changed.isEmpty { state.answers.removeAll() }
            return Self.takeWoken(&state)
        }
        for continuation in woken { continuation.resume() }
    }

    private static func takeWoken(_ state: inout State, now: ContinuousClock.Instant = .now) -> [CheckedContinuation<Void, Never>] {
        var woken: [CheckedContinuation<Void, Never>] = []
        for (id, waiter) in state.waiters where index(of: waiter.key, in: state) > waiter.after || waiter.deadline <= now {
            woken.append(waiter.continuation)
            state.waiters[id] = nil
        }
        return woken
    }

    /// Watches for changes while clients wait, until the task is cancelled; then lets every
    /// waiter go.
    public func run() async {
        while (try? await Task.sleep(for: pollInterval)) != nil {
            guard state.withLock({ !$0.waiters.isEmpty }) else { continue }
            refresh()
            let expired = state.withLock { Self.takeWoken(&$0) }
            for continuation in expired { continuation.resume() }
        }
        let all = state.withLock { state in
            defer { state.waiters.removeAll() }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in all { continuation.resume() }
    }
}
