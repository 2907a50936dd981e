import Foundation
import Synchronization
import VitalsCore

/// What the dashboard needs from the rest of the program: the newest snapshot, notes about nodes,
/// and a way to run fault-menu items. Implementations must not block.
public protocol DashboardHost: Sendable {
    func latestSnapshot() -> ClusterSnapshot
    /// Short notes per node (an injected fault, say).
    func nodeNotes() -> [String: String]
    /// Entries of the fault menu; empty when faults cannot be injected.
    var faultMenu: [MenuItem] { get }
    /// Runs fault-menu item `item` against `node`; returns a one-line report for the footer.
    func runFaultItem(_ item: String, node: String) async -> String
    /// The node whose detail view is open (`nil` when none), so its data can be kept fresher.
    func focus(_ node: String?)
    /// Acts on alerts (ack, silence…); returns a one-line report for the footer. The engine shows
    /// the result in a later snapshot, once it is stored.
    func perform(_ command: AlertCommand) async -> String
    /// The stored log lines the Logs pane reads; nil when none are kept.
    var logs: (any LogSource)? { get }
    /// Says whether the Logs pane is on screen, so log sources are read more often while it is.
    func watchLogs(_ watched: Bool)
    /// Reads the cluster file again and runs what it says, or keeps the running config and says
    /// why not.
    func reload() async -> ReloadReport
    /// Why the data on screen may not be live (an attached dashboard whose server is gone), or
    /// nil when it is.
    func connectionNotice() -> String?
}

extension DashboardHost {
    public var logs: (any LogSource)? { nil }
    public func watchLogs(_ watched: Bool) {}
    public func reload() async -> ReloadReport { ReloadReport(summary: "nothing to reload here") }
    public func connectionNotice() -> String? { nil }
}

/// What a reload did: a line for the footer, and the file's errors (and warnings) when it was refused.
public struct ReloadReport: Sendable, Equatable {
    public var summary: String
    /// Non-empty when the new file was refused: one `file:line:column: message` each.
    public var problems: [String]

    public init(summary: String, problems: [String] = []) {
        self.summary = summary
        self.problems = problems
    }
}

/// The dashboard's run loop: reads keys, turns them into actions, lets the state reduce them,
/// performs the effects, and redraws only when something changed.
public final class DashboardRunner {
    private let terminal: any TerminalBackend
    private let host: any DashboardHost
    private var themes: [Theme]
    private var themeIndex: Int
    private let refreshMs: Int
    private let messages = MessageQueue<String>()
    private let reports = MessageQueue<ReloadReport>()
    private let bell: Bool
    private let unicodeGraphs: Bool
    /// Critical alerts the bell has rung for.
    private var rungFor = Set<String>()

    /// - Parameters:
    ///   - themes: themes `t` cycles through; the first is used at start.
    ///   - refreshMs: how often the loop looks for a new snapshot when no key arrives.
    ///   - bell: whether a new critical alert rings the terminal bell (once per alert).
    ///   - unicodeGraphs: whether graphs may use block characters (false: ASCII).
    public init(terminal: any TerminalBackend, host: any DashboardHost, themes: [Theme], refreshMs: Int, bell: Bool = true, unicodeGraphs: Bool = true) {
        self.bell = bell
        self.unicodeGraphs = unicodeGraphs
        self.terminal = terminal
        self.host = host
        self.themes = themes.isEmpty ? [.builtIn] : themes
        self.themeIndex = 0
        self.refreshMs = max(20, min(10_000, refreshMs))
    }

    /// Runs until the user quits, a termination signal arrives or the terminal goes away. The
    /// terminal is restored before this returns.
    public func run() -> DashboardExit {
        terminal.start()
        defer { terminal.stop() }
        var state = AppState(size: terminal.size, faultMenuItems: host.faultMenu)
        state.unicodeGraphs = unicodeGraphs
        state.themeNames = themes.map(\.name)
        var shown = host.latestSnapshot()
        var drawnGeneration: UInt64?
        var focused: String?
        var logsShown: Bool?
        var dirty = true
        while true {
            if !state.paused {
                let latest = host.latestSnapshot()
                if latest.generation != shown.generation { shown = latest }
            }
            let pending = messages.drain()
            if let last = pending.last {
                state.message = last
                dirty = true
            }
            if let report = reports.drain().last {
                state.message = report.summary
                if !report.problems.isEmpty { state.overlay = .report(title: "Reload refused: the running config is kept", lines: report.problems) }
                dirty = true
            }
            let notice = host.connectionNotice()
            if notice != state.connection {
                state.connection = notice
                dirty = true
            }
            if state.detail != focused {
                focused = state.detail
                host.focus(focused)
            }
            let showingLogs = state.pane == .logs && state.detail == nil
            if showingLogs != logsShown {
                logsShown = showingLogs
                host.watchLogs(showingLogs)
            }
            if dirty || drawnGeneration != shown.generation {
                if drawnGeneration != shown.generation { ringForNewCriticalAlerts(shown) }
                state.nodeNotes = host.nodeNotes()
                terminal.draw(DashboardView.render(snapshot: shown, state: state, theme: themes[themeIndex], logs: host.logs))
                drawnGeneration = shown.generation
                dirty = false
            }
            let key: Key
            switch terminal.nextEvent(timeoutMs: refreshMs) {
            case .key(let pressed): key = pressed
            case .timeout: continue
            case .signal(let number): return .signal(number)
            case .hangUp: return .hangUp
            }
            guard let action = KeyMap.action(for: key, in: state) else { continue }
            dirty = true
            switch state.reduce(action, snapshot: shown, logs: host.logs) {
            case .quit:
                return .quit
            case .cycleTheme:
                themeIndex = (themeIndex + 1) % themes.count
                state.message = "theme: \(themes[themeIndex].name)"
                terminal.invalidate()
            case .setTheme(let name):
                if let index = themes.firstIndex(where: { $0.name == name }) {
                    themeIndex = index
                    state.message = "theme: \(name)"
                    terminal.invalidate()
                }
            case .injectFault(let node, let item):
                state.message = "\(node): \(item)…"
                let host = self.host
                let messages = self.messages
                Task.detached {
                    let report = await host.runFaultItem(item, node: node)
                    messages.append(report)
                }
            case .reload:
                let host = self.host
                let reports = self.reports
                Task.detached {
                    let report = await host.reload()
                    reports.append(report)
                }
            case .alert(let command):
                state.message = "saving…"
                let host = self.host
                let messages = self.messages
                Task.detached {
                    let report = await host.perform(command)
                    messages.append(report)
                }
            case nil:
                break
            }
        }
    }

    /// Rings once for each critical alert that fires, is no symptom of another, and nobody has
    /// acknowledged or silenced.
    private func ringForNewCriticalAlerts(_ snapshot: ClusterSnapshot) {
        var ring = false
        for alert in snapshot.alerts where alert.severity == .critical && alert.needsAttention && alert.rootCause == nil {
            if rungFor.insert(alert.id).inserted { ring = true }
        }
        if ring && bell { terminal.bell() }
        // Forget alerts that ended, so the same alert firing again later rings again.
        if rungFor.count > snapshot.alerts.count { rungFor.formIntersection(snapshot.alerts.map(\.id)) }
    }
}

/// Reports from background work, waiting for the run loop to show them.
final class MessageQueue<Item: Sendable>: Sendable {
    private let queue = Mutex<[Item]>([])

    func append(_ item: Item) { queue.withLock { $0.append(item) } }

    func drain() -> [Item] { queue.withLock { queue in defer { queue.removeAll() }; return queue } }
}
