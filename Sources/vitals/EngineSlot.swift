import Foundation
import Synchronization
import VitalsCore
import VitalsEngine
import VitalsSim
import VitalsUI

/// The dashboard's running engine (and simulator), which `r` replaces with one built from the
/// cluster file as it is now. A file with errors is refused and the running one kept.
final class EngineSlot: Sendable {
    private struct Running: Sendable {
        var engine: Engine
        var task: Task<Void, Never>
        var simulator: Simulator?
    }

    private let running: Mutex<Running>
    private let reloading = Atomic<Bool>(false)
    private let options: Engine.Options
    private let persisted: (store: AlertStateStore, loaded: AlertStateStore.Loaded)?
    private let scenario: Scenario?

    init(config: ClusterConfig, options: Engine.Options, persisted: (store: AlertStateStore, loaded: AlertStateStore.Loaded)?, simulator: Simulator?, scenario: Scenario?) {
        self.options = options
        self.persisted = persisted
        self.scenario = scenario
        let engine = Engine(config: config, options: options, state: persisted)
        running = Mutex(Running(engine: engine, task: Task.detached { await engine.run() }, simulator: simulator))
    }

    /// Opens the state file, starts the file's simulated nodes (unless --no-sim) and the engine,
    /// with the control socket `vitals ttl` finds beside the state file.
    static func start(config: ClusterConfig, state: StateOptions, simulation: SimulationOptions) async throws -> EngineSlot {
        let persisted = try state.open()
        let simulator = try await simulation.start(for: config)
        var options = Engine.Options()
        options.controlSocket = state.controlSocketPath
        return EngineSlot(
            config: config, options: options, persisted: persisted, simulator: simulator, scenario: simulation.scenario.flatMap(Scenario.named)
        )
    }

    var engine: Engine { running.withLock { $0.engine } }
    var simulator: Simulator? { running.withLock { $0.simulator } }

    /// Stops the engine (the dashboard is closing).
    func stop() { running.withLock { $0.task.cancel() } }

    /// Stops the engine and waits until everything it had in flight has ended.
    func stopAndWait() async {
        let task = running.withLock { $0.task }
        task.cancel()
        await task.value
    }

    /// Reads the cluster file again; runs it when it is valid, else keeps the running config and
    /// returns its problems.
    func reload() async -> ReloadReport {
        guard reloading.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return ReloadReport(summary: "a reload is already under way")
        }
        defer { reloading.store(false, ordering: .releasing) }
        let current = running.withLock { $0 }
        let path = current.engine.config.sourcePath
        let file = (path as NSString).lastPathComponent
        let result = ClusterConfigLoader.check(path: path)
        let warnings = result.diagnostics.filter { $0.severity == .warning }.count
        guard var config = result.config else {
            let errors = result.diagnostics.count - warnings
            return ReloadReport(
                summary: "reload refused: \(errors == 1 ? "1 error" : "\(errors) errors") in \(file); still running the config loaded before",
                // Named by the file's name alone: the box is narrow, and the footer names the file.
                problems: result.diagnostics.map { $0.description.replacingOccurrences(of: path, with: file) }
            )
        }
        config.sourcePath = path
        guard config != current.engine.config else { return ReloadReport(summary: "\(file) is unchanged") }

        // The simulator starts again only when the nodes, ports or scenario it serves changed.
        var simulator = current.simulator
        var restartedSimulation = false
        if let old = current.simulator {
            let candidate = Simulator(config: config, scenario: scenario)
            if !old.servesTheSame(as: candidate) {
                await old.stop()
                do {
                    try await candidate.start()
                    simulator = candidate
                    restartedSimulation = true
                } catch {
                    try? await old.start()
                    return ReloadReport(summary: "reload refused: the simulation cannot start (\(error)); still running the config loaded before")
                }
            }
        }
        current.task.cancel()
        await current.task.value
        let engine = Engine(config: config, options: options, state: persisted, replacing: current.engine)
        let task = Task.detached { await engine.run() }
        running.withLock { $0 = Running(engine: engine, task: task, simulator: simulator) }

        var summary = "reloaded \(file)"
        if let carried = engine.reload {
            func checks(_ n: Int) -> String { n == 1 ? "1 check" : "\(n) checks" }
            summary += ": \(checks(carried.keptChecks)) kept, \(carried.changedChecks) changed, \(carried.addedChecks) new, \(carried.removedChecks) gone"
            if carried.resolvedAlerts > 0 { summary += ", \(carried.resolvedAlerts) alerts of removed rules resolved" }
        }
        if restartedSimulation { summary += "; simulation restarted" }
        if warnings > 0 { summary += " (\(warnings == 1 ? "1 warning" : "\(warnings) warnings"): vitals validate \(file))" }
        return ReloadReport(summary: summary)
    }
}
