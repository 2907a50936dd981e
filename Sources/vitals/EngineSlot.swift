import Foundation
import Synchronization
import VitalsCore
import VitalsEngine
import VitalsServer
import VitalsSim
import VitalsUI

/// The dashboard's running engine (and simulator), which `r` replaces with one built from the
/// cluster file as it is now. A file with errors is refused and the running one kept.
final class EngineSlot: Sendable {
    private let registering: RegisteringEngine
    private var runner: EngineRunner { registering.runner }
    private let simulatorNow: Mutex<Simulator?>
    private let reloading = Atomic<Bool>(false)
    private let scenario: Scenario?
    /// Services registered through the agent API, run beside the file's.
    var services: ServiceRegistry { registering.registry }
    /// Why some registrations kept in the state file could not be taken back.
    var restoreProblems: [String] { registering.restoreProblems }

    /// The demo's registrar once it runs: scaling advice for a simulated service starts or stops
    /// its instances through it.
    let demo: DemoBox

    init(
        config: ClusterConfig, options: Engine.Options, persisted: (store: AlertStateStore, loaded: AlertStateStore.Loaded)?, simulator: Simulator?,
        scenario: Scenario?, demo: DemoBox = DemoBox()
    ) {
        self.scenario = scenario
        self.demo = demo
        registering = RegisteringEngine(config: config, options: options, persisted: persisted)
        simulatorNow = Mutex(simulator)
    }

    /// Opens the state file, starts the file's simulated nodes (unless --no-sim) and the engine,
    /// with the control socket `vitals ttl` finds beside the state file. `onPublish` is called
    /// after each snapshot the engine (and any engine a reload makes) publishes.
    static func start(
        config: ClusterConfig, state: StateOptions, simulation: SimulationOptions, onPublish: (@Sendable () -> Void)? = nil
    ) async throws -> EngineSlot {
        let persisted = try state.open()
        let simulator = try await simulation.start(for: config)
        var options = Engine.Options()
        options.controlSocket = state.controlSocketPath
        options.onPublish = onPublish
        let demo = DemoBox()
        if simulator != nil {
            // A policy without a scale_command scales simulated instances: the demo's own.
            options.scaler = { service, replicas in
                guard let registrar = demo.registrar else { return (false, "the demo's registration is not running") }
                return await registrar.scale(service: service, to: replicas)
            }
        }
        return EngineSlot(
            config: config, options: options, persisted: persisted, simulator: simulator, scenario: simulation.chosenScenario(for: config),
            demo: demo
        )
    }

    var engine: Engine { runner.engine }
    var simulator: Simulator? { simulatorNow.withLock { $0 } }

    /// Stops the engine (the dashboard is closing).
    func stop() { registering.stop() }

    /// Stops the engine and waits until everything it had in flight has ended.
    func stopAndWait() async { await registering.stopAndWait() }

    /// Reads the cluster file again; runs it when it is valid, else keeps the running config and
    /// returns its problems.
    func reload() async -> ReloadReport {
        guard reloading.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return ReloadReport(summary: "a reload is already under way")
        }
        defer { reloading.store(false, ordering: .releasing) }
        return await runner.serially { await self.reloadNow() }
    }

    private func reloadNow() async -> ReloadReport {
        let running = runner.engine
        let path = running.config.sourcePath
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
        // Registered services stay: the file says what it watches, the registry the rest.
        config = config.adding(services.all)
        guard config != running.config else { return ReloadReport(summary: "\(file) is unchanged") }

        // The simulator starts again only when the nodes, ports or scenario it serves changed.
        var restartedSimulation = false
        if let old = simulator {
            let candidate = Simulator(config: config, scenario: scenario)
            if !old.servesTheSame(as: candidate) {
                await old.stop()
                do {
                    try await candidate.start()
                    simulatorNow.withLock { $0 = candidate }
                    restartedSimulation = true
                } catch {
                    try? await old.start()
                    return ReloadReport(summary: "reload refused: the simulation cannot start (\(error)); still running the config loaded before")
                }
            }
        }
        let engine = await runner.replace(with: config)

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

/// Where the demo's registrar is found once it runs (it needs the API server, which needs the
/// slot).
final class DemoBox: Sendable {
    private let current = Mutex<DemoRegistrar?>(nil)
    var registrar: DemoRegistrar? {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}
