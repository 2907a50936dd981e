import ArgumentParser
import Foundation
import Synchronization
import VitalsCore
import VitalsEngine
import VitalsSim

struct Snapshot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run headless until every check has a result (or the wait ends) and print one snapshot."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var cluster: ClusterFileArgument

    @Option(help: "text or json.")
    var format: Format = .text

    @OptionGroup var headless: HeadlessOptions

    @Option(help: "Show the acks and silences of this state file (read only: nothing is written to it).")
    var state: String?

    func run() async throws {
        let config = try cluster.load()
        var loaded: AlertStateStore.Loaded?
        if let state {
            do {
                loaded = try AlertStateStore(path: state).load()
            } catch {
                Output.error("vitals: \(error)")
                throw ExitCode(1)
            }
        }
        let latest = try await headless.firstCompleteSnapshot(config: config, loaded: loaded)
        switch format {
        case .json:
            print(String(decoding: try latest.jsonData(), as: UTF8.self))  // JSON escapes control characters itself
        case .text:
            Output.line(latest.textReport, terminator: "")
        }
    }
}

/// Options of the commands that run the engine without a terminal (snapshot, check).
struct HeadlessOptions: ParsableArguments {
    @Option(help: "Longest time to wait for first results, in seconds (more than 0, at most 86400).")
    var wait: Double = 10

    func validate() throws {
        guard wait.isFinite, wait > 0, wait <= 86_400 else {
            throw ValidationError("--wait must be a number of seconds from more than 0 to 86400, not '\(wait)'")
        }
    }

    @OptionGroup var simulation: SimulationOptions

    /// Starts the file's simulation (unless disabled) and the engine, and returns the first snapshot
    /// in which every check has a result, or the newest one when `wait` seconds pass first.
    /// Alerts are evaluated once a second, so the snapshot taken is one published a second after
    /// the first complete one (or that one, if nothing changed since). `loaded` is alert state read
    /// from a state file, shown but never written back.
    ///
    /// `wait` is a hard deadline (a monitoring plugin is killed past its own): whatever has no
    /// result by then (an exec check inside its timeout, a hung server) is reported as it stands,
    /// unknown, and nothing is waited for after it.
    func firstCompleteSnapshot(config: ClusterConfig, loaded: AlertStateStore.Loaded? = nil) async throws -> ClusterSnapshot {
        let deadline = ContinuousClock.now + .milliseconds(Int(wait * 1000))
        func left(atMost limit: Duration = .seconds(86_400)) -> Duration { max(.zero, min(limit, deadline - .now)) }
        let simulator = try await simulation.start(for: config)
        // One-shot: every check's first run within a second, not spread over its interval.
        var options = Engine.Options()
        options.firstRunsWithin = .seconds(1)
        // Log lines are stored as soon as they are read: there is no later moment to order them for.
        options.logHoldback = .zero
        let engine = Engine(config: config, options: options, loaded: loaded)
        let running = Task { await engine.run() }
        let complete = await engine.store.first(where: \.everyCheckHasResult, timeout: left())
        var latest = complete ?? engine.store.latest
        if let complete {
            let evaluated = complete.time.addingTimeInterval(1)
            latest = await engine.store.first(where: { $0.time >= evaluated }, timeout: left(atMost: .milliseconds(1500))) ?? engine.store.latest
        }
        running.cancel()
        // Probes stop when cancelled; one that does not is not waited for past the deadline
        // (plus a moment to close what can be closed).
        await Self.waitFor(running, atMost: left() + .milliseconds(200))
        if let simulator { await Self.waitFor(Task { await simulator.stop() }, atMost: .milliseconds(500)) }
        return latest
    }

    /// Waits for `task` to end, or for `limit` to pass, whichever comes first.
    static func waitFor(_ task: Task<Void, Never>, atMost limit: Duration) async {
        let once = Once()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Task {
                await task.value
                if once.first() { continuation.resume() }
            }
            Task {
                try? await Task.sleep(for: limit)
                if once.first() { continuation.resume() }
            }
        }
    }

    private final class Once: Sendable {
        private let done = Mutex(false)
        func first() -> Bool { done.withLock { done in defer { done = true }; return !done } }
    }
}

/// Options shared by every command that can start a file's simulated nodes.
struct SimulationOptions: ParsableArguments {
    @Flag(help: "Do not start the simulated nodes of the file's simulation block.")
    var noSim = false

    @Option(help: "Play another scenario (\(SimulationConfig.knownScenarios.joined(separator: ", "))).")
    var scenario: String?

    @Option(help: ArgumentHelp("Play the scenario this many times faster (tests, demos in a hurry).", valueName: "factor"))
    var scenarioSpeed: Double = 1

    /// The scenario asked for (else the file's), at the speed asked for; nil: the file's at 1×.
    func chosenScenario(for config: ClusterConfig) -> Scenario? {
        let named = scenario.flatMap(Scenario.named)
        guard scenarioSpeed != 1 else { return named }
        return (named ?? Scenario.named(config.simulation?.scenario ?? "steady") ?? .steady).faster(by: scenarioSpeed)
    }

    func validate() throws {
        guard scenarioSpeed.isFinite, (0.01...1_000).contains(scenarioSpeed) else { throw ValidationError("--scenario-speed must be from 0.01 to 1000") }
        if let scenario, Scenario.named(scenario) == nil {
            throw ValidationError("unknown scenario '\(scenario)' (known: \(SimulationConfig.knownScenarios.joined(separator: ", ")))")
        }
    }

    /// Starts the simulator when the file has a simulation block and --no-sim is not given.
    func start(for config: ClusterConfig) async throws -> Simulator? {
        guard !noSim, config.simulation != nil else { return nil }
        let simulator = Simulator(config: config, scenario: chosenScenario(for: config))
        do {
            try await simulator.start()
        } catch {
            Output.error("vitals: \(error)")
            throw ExitCode(1)
        }
        return simulator
    }
}
