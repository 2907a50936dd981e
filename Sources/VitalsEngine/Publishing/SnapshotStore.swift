import Synchronization
import VitalsCore

/// Holds the newest snapshot for readers that poll (the UI never waits on the engine) and hands
/// every new one to readers that subscribe.
public final class SnapshotStore: Sendable {
    private struct State {
        var latest: ClusterSnapshot
        var subscribers: [Int: AsyncStream<ClusterSnapshot>.Continuation] = [:]
        var nextID = 0
    }

    private let state: Mutex<State>

    public init(initial: ClusterSnapshot) {
        state = Mutex(State(latest: initial))
    }

    /// The newest snapshot; never blocks for long.
    public var latest: ClusterSnapshot { state.withLock { $0.latest } }

    /// Makes `snapshot` the newest and gives it to every subscriber; an older generation than the
    /// newest (two publishers racing) is ignored.
    public func publish(_ snapshot: ClusterSnapshot) {
        let subscribers = state.withLock { state -> [AsyncStream<ClusterSnapshot>.Continuation] in
            guard snapshot.generation >= state.latest.generation else { return [] }
            state.latest = snapshot
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(snapshot) }
    }

    /// A stream that starts with the newest snapshot and then yields each one published; a slow
    /// reader only ever gets the newest.
    public func updates() -> AsyncStream<ClusterSnapshot> {
        let (stream, continuation) = AsyncStream<ClusterSnapshot>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            continuation.yield(state.latest)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// The first snapshot (the newest one included) that satisfies `predicate`, or `nil` when
    /// `timeout` passes first.
    public func first(
        where predicate: @escaping @Sendable (ClusterSnapshot) -> Bool, timeout: Duration
    ) async -> ClusterSnapshot? {
        let updates = updates()
        return await withTaskGroup(of: ClusterSnapshot?.self) { group in
            group.addTask {
                for await snapshot in updates where predicate(snapshot) { return snapshot }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let result = await group.next() ?? nil
            group.cancelAll()
            return result
        }
    }
}
