import Foundation
import Synchronization
import VitalsCore

/// Runs one engine at a time and replaces it with one built from a new config (a reload, a
/// registration), carrying over what the old one knew. Replacements happen one after another,
/// in the order asked, whoever asks.
public final class EngineRunner: Sendable {
    private struct Running: Sendable {
        var engine: Engine
        var task: Task<Void, Never>
    }

    private let running: Mutex<Running>
    /// The newest replacement asked for; each waits for the one before.
    private let queue = Mutex<Task<Void, Never>?>(nil)
    private let options: Engine.Options
    private let persisted: (store: AlertStateStore, loaded: AlertStateStore.Loaded)?

    /// Starts an engine for `config`.
    public init(config: ClusterConfig, options: Engine.Options, persisted: (store: AlertStateStore, loaded: AlertStateStore.Loaded)?) {
        self.options = options
        self.persisted = persisted
        let engine = Engine(config: config, options: options, state: persisted)
        running = Mutex(Running(engine: engine, task: Task.detached { await engine.run() }))
    }

    /// The engine running now.
    public var engine: Engine { running.withLock { $0.engine } }

    /// Runs `body` after every replacement asked for before it has ended, and before any asked after.
    public func serially<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        let task: Task<T, Never> = queue.withLock { last in
            let previous = last
            let next = Task { _ = await previous?.value; return await body() }
            last = Task { _ = await next.value }
            return next
        }
        return await task.value
    }

    /// Stops the running engine, waits until its probes have ended, and starts one for `config`
    /// that carries over its state. Call inside `serially`.
    /// - Returns: the new engine.
    @discardableResult
    public func replace(with config: ClusterConfig) async -> Engine {
        let current = running.withLock { $0 }
        current.task.cancel()
        await current.task.value
        let engine = Engine(config: config, options: options, state: persisted, replacing: current.engine)
        let task = Task.detached { await engine.run() }
        running.withLock { $0 = Running(engine: engine, task: task) }
        return engine
    }

    /// Stops the engine without waiting.
    public func stop() { running.withLock { $0.task.cancel() } }

    /// Stops the engine and waits until everything it had in flight has ended.
    public func stopAndWait() async {
        let task = running.withLock { $0.task }
        task.cancel()
        await task.value
    }
}
