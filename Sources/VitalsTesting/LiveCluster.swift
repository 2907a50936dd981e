import VitalsCore
import VitalsEngine
import VitalsSim

/// A simulated cluster on loopback with an engine watching it: the real sockets, the real probes.
public final class LiveCluster: Sendable {
    public let simulator: Simulator
    public let engine: Engine
    private let running: Task<Void, Never>

    private init(simulator: Simulator, engine: Engine) {
        self.simulator = simulator
        self.engine = engine
        running = Task { await engine.run() }
    }

    /// Serves `config`'s nodes with `faults` injected, then starts the engine on it.
    public static func start(_ config: ClusterConfig, faults: [String: Fault] = [:]) async throws -> LiveCluster {
        let simulator = Simulator(config: config)
        try await simulator.start()
        for (node, fault) in faults { try await simulator.inject(fault, into: node) }
        return LiveCluster(simulator: simulator, engine: Engine(config: config))
    }

    /// The first snapshot that satisfies `predicate`, or nil after `timeout`.
    public func first(where predicate: @escaping @Sendable (ClusterSnapshot) -> Bool, timeout: Duration = .seconds(10)) async -> ClusterSnapshot? {
        await engine.store.first(where: predicate, timeout: timeout)
    }

    /// Stops the engine and closes every simulated port.
    public func stop() async {
        running.cancel()
        await simulator.stop()
    }
}
