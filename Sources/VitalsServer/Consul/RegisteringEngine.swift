import Foundation
import VitalsCore
import VitalsEngine

/// An engine that takes registrations: the registry (what the state file kept taken back), the
/// runner of the engine built from the file plus every registration, and the task that hands
/// each change of the one to the other. `vitals serve` and the dashboard run one.
public final class RegisteringEngine: Sendable {
    public let runner: EngineRunner
    public let registry: ServiceRegistry
    /// Why some registrations kept in the state file could not be taken back.
    public let restoreProblems: [String]
    private let task: Task<Void, Never>

    public init(config: ClusterConfig, options: Engine.Options, persisted: (store: AlertStateStore, loaded: AlertStateStore.Loaded)?) {
        let registry = ServiceRegistry(store: persisted?.store, limit: config.maxRegistrations)
        restoreProblems = registry.restore(
            decoder: RegistrationDecoder(defaults: config.defaults, allowExec: config.allowAPIExecChecks, source: "registration"),
            fileNodes: Set(config.nodes.map(\.name)), file: (config.sourcePath as NSString).lastPathComponent
        )
        let runner = EngineRunner(config: config.adding(registry.all), options: options, persisted: persisted)
        self.registry = registry
        self.runner = runner
        task = Task.detached { await registry.run(on: runner) }
    }

    /// Stops taking registrations and stops the engine, without waiting.
    public func stop() {
        task.cancel()
        runner.stop()
    }

    /// Stops both and waits until everything in flight has ended.
    public func stopAndWait() async {
        task.cancel()
        await task.value
        await runner.stopAndWait()
    }
}
