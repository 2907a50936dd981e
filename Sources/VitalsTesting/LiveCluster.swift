import VitalsCore
import VitalsEngine
import VitalsSim

/// A simulated cluster on loopback with an engine watching it: the real sockets, the real probes.
///
/// Use `LiveCluster.with`: it stops the engine and closes every port before it returns, so no
/// engine outlives its test and competes for the cores with the next one.
public final class LiveCluster: Sendable {
    public let simulator: Simulator
    public let engine: Engine
    private let running: Task<Void, Never>

    private init(simulator: Simulator, engine: Engine) {
        self.simulator = simulator
        self.engine = engine
        running = Task { await engine.run() }
    }

    /// Serves `config`'s nodes with `faults` injected, starts an engine on them (keeping alert
    /// state in `state`, when given), runs `body`, and stops both (waiting for them) whatever
    /// `body` does.
    public static func with<T: Sendable>(
        _ config: ClusterConfig, faults: [String: Fault] = [:], options: Engine.Options = Engine.Options(),
        state: AlertStateStore? = nil, scenario: Scenario? = nil, _ body: (LiveCluster) async throws -> T
    ) async throws -> T {
        let simulator = Simulator(config: config, scenario: scenario)
        try await simulator.start()
        do {
            for (node, fault) in faults { try await simulator.inject(fault, into: node) }
        } catch {
            await simulator.stop()
            throw error
        }
        let persisted: (store: AlertStateStore, loaded: AlertStateStore.Loaded)?
        do {
            persisted = try state.map { ($0, try $0.load()) }
        } catch {
            await simulator.stop()
            throw error
        }
        let live = LiveCluster(simulator: simulator, engine: Engine(config: config, options: options, state: persisted))
        do {
            let result = try await body(live)
            await live.stop()
            return result
        } catch {
            await live.stop()
            throw error
        }
    }

    /// The first snapshot that satisfies `predicate`, or nil after `timeout`.
    public func first(timeout: Duration, where predicate: @escaping @Sendable (ClusterSnapshot) -> Bool) async -> ClusterSnapshot? {
        await engine.store.first(where: predicate, timeout: timeout)
    }

    /// The first snapshot that satisfies `predicate`, or nil after `timeout`.
    public func first(where predicate: @escaping @Sendable (ClusterSnapshot) -> Bool, timeout: Duration = .seconds(10)) async -> ClusterSnapshot? {
        await engine.store.first(where: predicate, timeout: timeout)
    }

    /// Stops the engine (waiting for probes in flight) and closes every simulated port.
    public func stop() async {
        running.cancel()
        await running.value
        await simulator.stop()
    }
}
