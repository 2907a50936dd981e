import ArgumentParser
import Foundation
import VitalsCore
import VitalsEngine
import VitalsServer
import VitalsSim
import VitalsTerminal
import VitalsUI

struct Dashboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Open the live dashboard (the default command).",
        discussion: "With no file, opens the e-commerce demo, simulated on loopback."
    )

    @OptionGroup var cluster: ClusterFileArgument

    @Option(help: "Theme name from themes/ (see `vitals themes`).")
    var theme: String?

    @Option(help: "The least time between two frames drawn for new data, in milliseconds (the engine wakes the screen when it has news; keys are answered at once).")
    var refreshMs: Int = 250

    @OptionGroup var simulation: SimulationOptions

    @OptionGroup var state: StateOptions

    @Flag(help: "Do not ring the terminal bell when a new critical alert fires.")
    var noBell = false

    @Option(help: ArgumentHelp("Also serve the HTTP API here (HOST:PORT), as `vitals serve` does, for `vitals attach` and Prometheus.", valueName: "host:port"))
    var listen: String?

    @OptionGroup var server: ServerOptions

    @Flag(help: "Draw graphs and sparklines in ASCII (the default when the locale is not UTF-8).")
    var ascii = false

    func validate() throws {
        guard (20...10_000).contains(refreshMs) else { throw ValidationError("--refresh-ms must be from 20 to 10000") }
    }

    func run() async throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw ValidationError("the dashboard needs a terminal; for scripts use `vitals snapshot`")
        }
        let config = try cluster.load()
        // Asked before any engine thread runs: it may set TERMINFO for 24-bit colour.
        let screen = try ScreenSetup.prepare(theme: theme)
        defer { screen.cleanUp() }
        let themes = screen.themes
        // Each snapshot published wakes the screen: it sleeps between them, on no timer.
        let slot = try await EngineSlot.start(config: config, state: state, simulation: simulation) { NcursesTerminal.wake() }
        // Said before the screen opens, so they stay on the terminal after it closes.
        for problem in slot.restoreProblems { Output.error("vitals: \(problem)") }
        // The API beside the dashboard: its log goes nowhere, the screen is the dashboard's. A
        // simulated cluster always has one on loopback, through which its instances register.
        var api: APIServer?
        var registrar: DemoRegistrar?
        if listen != nil || slot.simulator != nil {
            do {
                // Without --listen: loopback, on a port the system picks.
                let configuration = try listen.map(self.server.configuration(listen:)) ?? APIServer.Configuration(host: "127.0.0.1", port: 0)
                let server = try APIServer(configuration: configuration, backend: slot, log: .silent)
                try await server.start()
                api = server
                registrar = try DemoRegistrar.started(slot: slot, config: config, server: server)
            } catch {
                slot.stop()
                await slot.simulator?.stop()
                Output.error("vitals: \(error)")
                throw ExitCode(1)
            }
        }
        let host = LiveHost(slot: slot, user: state.who, registrar: registrar)
        let bell = !noBell
        let unicode = !ascii && Self.localeIsUTF8
        let refreshMs = self.refreshMs
        // The run loop blocks in poll(2) between keys, so it runs on the main thread: on a thread
        // of Swift's cooperative pool it would take one of the (on two cores, two) threads the
        // engine's tasks need.
        let exit = await MainActor.run {
            DashboardRunner(
                terminal: screen.terminal(), host: host, themes: themes, refreshMs: refreshMs, bell: bell, unicodeGraphs: unicode, greeting: screen.greeting
            ).run()
        }
        await api?.stop()
        slot.stop()
        if exit != .quit { throw ExitCode(exit.status) }
    }

    /// Whether the locale's character set is UTF-8 (block characters may be drawn).
    static var localeIsUTF8: Bool {
        let environment = ProcessInfo.processInfo.environment
        let locale = environment["LC_ALL"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["LC_CTYPE"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["LANG"] ?? ""
        return locale.uppercased().contains("UTF-8") || locale.uppercased().contains("UTF8")
    }

    /// Every theme, the selected one first.
    static func loadThemes(selected: String?) throws -> [Theme] {
        let (themes, failures) = ResourceLocator.allThemes()
        for failure in failures { Output.error("vitals: theme skipped:\n\(failure)") }
        let wanted = selected ?? "default"
        guard let index = themes.firstIndex(where: { $0.name == wanted }) else {
            if selected == nil { return themes.isEmpty ? [.builtIn] : themes }
            let names = themes.map(\.name).joined(separator: ", ")
            throw ValidationError("no theme '\(wanted.sanitizedForTerminal)' (have: \(names.sanitizedForTerminal))")
        }
        return [themes[index]] + themes.enumerated().filter { $0.offset != index }.map(\.element)
    }
}

/// Connects the dashboard to the engine's snapshots and the simulator's faults.
struct LiveHost: DashboardHost {
    let slot: EngineSlot
    let user: String
    var registrar: DemoRegistrar?

    /// The running engine: a reload replaces it.
    var engine: Engine { slot.engine }
    var simulator: Simulator? { slot.simulator }

    func reload() async -> ReloadReport { await slot.reload() }

    func perform(_ command: AlertCommand) async -> String {
        do {
            switch command {
            case .acknowledge(let ids, let comment):
                let acked = try engine.acknowledge(ids, by: user, comment: comment)
                return acked.isEmpty ? "nothing to acknowledge: the alert resolved" : "acknowledged \(Self.count(acked.count)) as \(user)"
            case .unacknowledge(let ids):
                let count = try engine.unacknowledge(ids, by: user)
                return count == 0 ? "no acknowledgement to remove" : "removed the acknowledgement of \(Self.count(count))"
            case .silence(let matchers, let duration, let comment):
                let silence = try engine.silence(matching: matchers, for: duration, by: user, comment: comment)
                return "silenced \(silence.matcherText) for \(duration.goString)"
            case .expireSilence(let id):
                return try engine.expireSilence(id, by: user) ? "silence expired" : "that silence already ended"
            case .beginMaintenance(let node, let service, let reason, let duration):
                let target = service.map { "\(node)/\($0)" } ?? node
                guard try engine.beginMaintenance(node: node, service: service, reason: reason, for: duration, by: user) else { return "no \(target) here" }
                return "\(target) in maintenance" + (duration.map { " for \($0.goString)" } ?? "") + " (m ends it)"
            case .endMaintenance(let node, let service):
                let target = service.map { "\(node)/\($0)" } ?? node
                return try engine.endMaintenance(node: node, service: service, by: user) ? "maintenance of \(target) ended" : "\(target) was not in maintenance"
            case .scale(let service, let replicas):
                return await engine.scale(service: service, to: replicas, by: user)
            }
        } catch {
            return "not saved: \(error)"
        }
    }

    private static func count(_ n: Int) -> String { n == 1 ? "1 alert" : "\(n) alerts" }

    func latestSnapshot() -> ClusterSnapshot { engine.store.latest }

    /// The engine wakes the screen when it publishes (`EngineSlot.start(onPublish:)`).
    var wakesOnChange: Bool { true }

    var logs: (any LogSource)? { engine.logs }

    func watchLogs(_ watched: Bool) { engine.watchLogs(watched) }

    func focus(_ node: String?) { engine.focus(node) }

    func nodeNotes() -> [String: String] {
        (simulator?.injectedFaults ?? [:]).mapValues { "fault: \($0.rawValue)" }
    }

    var faultMenu: [MenuItem] {
        guard simulator != nil else { return [] }
        return Fault.allCases.map { MenuItem(name: $0.rawValue, summary: $0.summary) }
            + [MenuItem(name: "heal", summary: "remove the injected fault")]
            + (registrar == nil ? [] : [
                MenuItem(name: "add", summary: "one more instance of this service (registers via the API)"),
                MenuItem(name: "remove", summary: "deregister and stop this instance (added ones only)"),
            ])
    }

    func runFaultItem(_ item: String, node: String) async -> String {
        guard let simulator else { return "\(node) is not simulated" }
        if let registrar, item == "add" {
            guard let service = registrar.service(of: node, in: engine.store.latest) else { return "\(node) runs no service" }
            return await registrar.add(service: service)
        }
        if let registrar, item == "remove" { return await registrar.remove(node: node) }
        do {
            if item == "heal" {
                try await simulator.heal(node)
                return "\(node): healed (the scenario goes on)"
            }
            guard let fault = Fault(rawValue: item) else { return "unknown fault '\(item)'" }
            try await simulator.inject(fault, into: node)
            return "\(node): injected \(fault.rawValue) — watch its checks turn"
        } catch {
            return "\(node): \(error)"
        }
    }
}
