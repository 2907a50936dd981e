import ArgumentParser
import Dispatch
import Foundation
import VitalsCore
import VitalsEngine
import VitalsServer
import VitalsSim

/// `vitals serve`: the engine without a terminal, with its HTTP API, until SIGTERM or SIGINT;
/// SIGHUP reloads the cluster file.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the engine headless with its HTTP API, for `vitals attach` and Prometheus.",
        discussion: """
            Logs to standard error. SIGTERM or SIGINT stops it; SIGHUP reloads the cluster file (as r does in the \
            dashboard). The API is described in docs/openapi.yaml. Off loopback it needs --token-file.
            """
    )

    @OptionGroup var cluster: ClusterFileArgument

    @Option(help: "Where the API listens, HOST:PORT.")
    var listen = "127.0.0.1:7070"

    @OptionGroup var server: ServerOptions

    @Option(help: "How log lines look: plain or json.")
    var logFormat: String = "plain"

    @OptionGroup var simulation: SimulationOptions

    @OptionGroup var state: StateOptions

    func validate() throws {
        guard ServerLog.Format(rawValue: logFormat) != nil else { throw ValidationError("--log-format is plain or json") }
    }

    func run() async throws {
        let log = ServerLog(format: ServerLog.Format(rawValue: logFormat) ?? .plain)
        let configuration = try server.configuration(listen: listen)
        let config = try cluster.load()
        let slot = try await EngineSlot.start(config: config, state: state, simulation: simulation)
        let api: APIServer
        do {
            api = try APIServer(configuration: configuration, backend: slot, log: log)
            try await api.start()
        } catch {
            log.error("\(error)")
            slot.stop()
            await slot.simulator?.stop()
            throw ExitCode(1)
        }
        for problem in slot.restoreProblems { log.error(problem) }
        // The simulated instances register themselves through the API, as real services would.
        _ = try DemoRegistrar.started(slot: slot, config: config, server: api) { log.info("demo: \($0)") }
        log.info("listening", [
            "url": api.url, "cluster": config.name, "nodes": String(config.nodes.count), "state": state.path,
            "token": configuration.token == nil ? "none (loopback)" : "required", "pid": String(getpid()),
        ])
        let watcher = Task.detached { await Self.logAlerts(slot: slot, log: log) }

        let signals = SignalWatcher([SIGTERM, SIGINT, SIGHUP])
        for await signal in signals.stream {
            if signal == SIGHUP {
                log.info("SIGHUP: reloading", ["file": slot.engine.config.sourcePath])
                let report = await slot.reloadCluster()
                log.info(report.refused ? "reload refused" : "reloaded", ["summary": report.summary])
                for problem in report.problems { log.warning("  " + problem) }
                continue
            }
            log.info("stopping", ["signal": signal == SIGTERM ? "SIGTERM" : "SIGINT"])
            break
        }
        watcher.cancel()
        await api.stop()
        await slot.stopAndWait()
        await slot.simulator?.stop()
        log.info("stopped")
    }

    /// Says on the log when alerts start, fire, resolve, or are acknowledged or silenced.
    private static func logAlerts(slot: EngineSlot, log: ServerLog) async {
        var last = slot.engine.store.latest
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let latest = slot.engine.store.latest
            guard latest.generation != last.generation else { continue }
            for (change, alert) in EventHub.alertChanges(from: last.alerts, to: latest.alerts) {
                var fields: KeyValuePairs<String, String> = ["alert": alert.name, "id": alert.id, "severity": alert.severity.rawValue]
                if change == "acknowledged" {
                    fields = ["alert": alert.name, "id": alert.id, "by": alert.acknowledgedBy ?? "", "comment": alert.comment ?? ""]
                }
                let target = [alert.node, alert.service].compactMap { $0 }.joined(separator: "/")
                log.info("alert \(change): \(alert.name)" + (target.isEmpty ? "" : " on \(target)"), fields)
            }
            // Scalings (by a person or autoscale) and what the engine deregistered: new at the
            // top of the history.
            let known = Set(last.alertHistory.map(\.id))
            for entry in latest.alertHistory.prefix(while: { !known.contains($0.id) }).reversed()
            where ["Scaled", "ScaleFailed", "Deregistered"].contains(entry.name) {
                log.info(entry.summary, ["event": entry.name, "service": entry.service ?? ""])
            }
            last = latest
        }
    }
}

/// Turns signals into a stream: the default actions are replaced while it lives.
final class SignalWatcher {
    let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init(_ signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    deinit { for source in sources { source.cancel() } }
}

extension EngineSlot: APIBackend {
    var registry: ServiceRegistry? { services }

    func reloadCluster() async -> APIReload {
        let report = await reload()
        return APIReload(summary: report.summary, problems: report.problems, refused: report.summary.hasPrefix("reload refused") || !report.problems.isEmpty)
    }
}
