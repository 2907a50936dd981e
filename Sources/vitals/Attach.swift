import ArgumentParser
import Foundation
import Synchronization
import VitalsCore
import VitalsEngine
import VitalsServer
import VitalsTerminal
import VitalsUI

/// `vitals attach URL`: the whole dashboard on a remote `vitals serve`.
struct Attach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the dashboard on a running `vitals serve`: acks, silences and maintenance go to it, seen by every attached dashboard.",
        discussion: "When the server goes away the dashboard says since when, keeps the last data marked as not live, and reconnects by itself."
    )

    @Argument(help: "The server's URL, e.g. http://127.0.0.1:7070.")
    var url: String

    @Option(name: .customLong("token-file"), help: "A file whose first line is the server's token.")
    var tokenFile: String?

    @Option(name: .customLong("tls-ca"), help: "PEM certificates of the CA that signed the server's certificate.")
    var tlsCA: String?

    @Flag(name: .customLong("tls-skip-verify"), help: "Accept any server certificate (encrypted, not authenticated).")
    var tlsSkipVerify = false

    @Option(help: "Who acknowledges and silences (default: your login name).")
    var user: String?

    @Option(help: "Theme name from themes/ (see `vitals themes`).")
    var theme: String?

    @Option(help: "How often the screen redraws without news, in milliseconds (updates wake it at once).")
    var refreshMs: Int = 1000

    @Flag(help: "Do not ring the terminal bell when a new critical alert fires.")
    var noBell = false

    @Flag(help: "Draw graphs and sparklines in ASCII (the default when the locale is not UTF-8).")
    var ascii = false

    func validate() throws {
        guard (20...10_000).contains(refreshMs) else { throw ValidationError("--refresh-ms must be from 20 to 10000") }
        guard HTTPTarget(url) != nil else { throw ValidationError("'\(url.sanitizedForTerminal)' is not an http:// or https:// URL") }
        if let user, !StateOptions.isUsable(user) { throw ValidationError("--user must be a name of 1 to 64 printable characters") }
    }

    func run() async throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw ValidationError("the dashboard needs a terminal; for scripts use curl on \(url)/v1/snapshot")
        }
        // Asked before any other thread runs: it may set TERMINFO for 24-bit colour.
        let screen = try ScreenSetup.prepare(theme: theme)
        defer { screen.cleanUp() }
        let themes = screen.themes
        let token = try tokenFile.map(TokenFile.read)
        let who = try StateOptions.parse(user.map { ["--user", $0] } ?? []).who
        let client: APIClient
        do {
            client = try APIClient(url: url, user: who, token: token, tls: TLSOptions(skipVerify: tlsSkipVerify, caFile: tlsCA))
        } catch {
            throw ValidationError(error.description)
        }
        // One update a second, like top's and htop's refresh; alerts, acks and status changes
        // still arrive at once.
        // Each update wakes the screen's wait, so it need not look for one more than once a second.
        let remote = RemoteCluster(client: client, updates: .seconds(1)) { NcursesTerminal.wake() }
        let follower = Task.detached { await remote.run() }
        let host = RemoteHost(remote: remote)
        let unicode = !ascii && Dashboard.localeIsUTF8
        let refreshMs = self.refreshMs
        let bell = !noBell
        let exit = await MainActor.run {
            DashboardRunner(
                terminal: screen.terminal(), host: host, themes: themes, refreshMs: refreshMs, bell: bell, unicodeGraphs: unicode, greeting: screen.greeting
            ).run()
        }
        follower.cancel()
        host.stop()
        if exit != .quit { throw ExitCode(exit.status) }
    }
}

/// The dashboard's host for a remote engine: snapshots from its event stream, commands as
/// API requests made with the user's name, and the newest log lines copied while the Logs pane
/// is on screen.
final class RemoteHost: DashboardHost {
    let remote: RemoteCluster
    private let mirror: RemoteLogMirror
    private let logsWatched = Atomic<Bool>(false)
    private let poller: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(remote: RemoteCluster) {
        self.remote = remote
        mirror = RemoteLogMirror(client: remote.client) { [remote] in remote.snapshot.logStats }
    }

    func stop() { poller.withLock { $0?.cancel() } }

    func latestSnapshot() -> ClusterSnapshot { remote.snapshot }
    func nodeNotes() -> [String: String] { [:] }
    var faultMenu: [MenuItem] { [] }
    func runFaultItem(_ item: String, node: String) async -> String { "faults are injected where the cluster is simulated, not over the API" }
    func focus(_ node: String?) {}
    func connectionNotice() -> String? { remote.notice() }
    var logs: (any LogSource)? { mirror }

    /// While the Logs pane is on screen, its lines are copied every second.
    func watchLogs(_ watched: Bool) {
        logsWatched.store(watched, ordering: .relaxed)
        poller.withLock { task in
            task?.cancel()
            task = nil
            guard watched else { return }
            let mirror = self.mirror
            task = Task.detached {
                while !Task.isCancelled {
                    await mirror.refresh()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    func reload() async -> ReloadReport {
        do {
            return ReloadReport(summary: try await remote.client.message("POST", "/v1/reload"))
        } catch {
            return ReloadReport(summary: error.code == "reload_refused" ? error.reason : "reload failed: \(error.reason)", problems: error.problems)
        }
    }

    func perform(_ command: AlertCommand) async -> String {
        let client = remote.client
        do {
            switch command {
            case .acknowledge(let ids, let comment):
                var acked = 0
                for id in ids {
                    _ = try await client.message("POST", "/v1/alerts/\(APIClient.segment(id))/ack", json: ["comment": comment])
                    acked += 1
                }
                return "acknowledged \(acked == 1 ? "1 alert" : "\(acked) alerts") as \(client.user)"
            case .unacknowledge(let ids):
                var removed = 0
                for id in ids {
                    do {
                        _ = try await client.message("POST", "/v1/alerts/\(APIClient.segment(id))/unack", json: [:])
                        removed += 1
                    } catch where error.code == "already_in_state" {
                        continue
                    }
                }
                return removed == 0 ? "no acknowledgement to remove" : "removed the acknowledgement of \(removed == 1 ? "1 alert" : "\(removed) alerts")"
            case .silence(let matchers, let duration, let comment):
                _ = try await client.send("POST", "/v1/silences", json: ["matchers": matchers, "duration": duration.goString, "comment": comment])
                return "silenced \(matchers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")) for \(duration.goString)"
            case .expireSilence(let id):
                return try await client.message("DELETE", "/v1/silences/\(APIClient.segment(id))")
            case .scale(let service, let replicas):
                return try await client.message("POST", "/v1/capacity/\(APIClient.segment(service))/scale", json: ["replicas": replicas])
            case .beginMaintenance(let node, let service, let reason, let duration):
                var body: [String: Any] = ["reason": reason]
                if let service { body["service"] = service }
                if let duration { body["duration"] = duration.goString }
                return try await client.message("PUT", "/v1/nodes/\(APIClient.segment(node))/maintenance", json: body) + " (m ends it)"
            case .endMaintenance(let node, let service):
                let query = service.map { "?service=\(APIClient.segment($0))" } ?? ""
                return try await client.message("DELETE", "/v1/nodes/\(APIClient.segment(node))/maintenance" + query)
            }
        } catch {
            return error.code == "unreachable" ? "not sent, the server is unreachable: \(error.reason)" : "not saved: \(error.reason)"
        }
    }
}
