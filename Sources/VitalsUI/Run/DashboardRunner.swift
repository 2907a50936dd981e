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
    /// True when the host calls the terminal's waker whenever what `latestSnapshot`,
    /// `nodeNotes` and `connectionNotice` return changes: then the screen sleeps until it is
    /// woken or a key arrives, and looks for news on no timer.
    var wakesOnChange: Bool { get }
}

extension DashboardHost {
    public var logs: (any LogSource)? { nil }
    public func watchLogs(_ watched: Bool) {}
    public func reload() async -> ReloadReport { ReloadReport(summary: "nothing to reload here") }
    public func connectionNotice() -> String? { nil }
    public var wakesOnChange: Bool { false }
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
    private let greeting: String?
    /// Critical alerts the bell has rung for.
    private var rungFor = Set<String>()

    /// - Parameters:
    ///   - themes: themes `t` cycles through; the first is used at start.
    ///   - refreshMs: how often the loop looks for a new snapshot when no key arrives; with a host
    ///     that wakes the screen on change, the least time between two frames drawn for new data
    ///     (keys are answered at once).
    ///   - bell: whether a new critical alert rings the terminal bell (once per alert).
    ///   - unicodeGraphs: whether graphs may use block characters (false: ASCII).
    ///   - greeting: said in the footer of the first frame.
    public init(
        terminal: any TerminalBackend, host: any DashboardHost, themes: [Theme], refreshMs: Int, bell: Bool = true, unicodeGraphs: Bool = true,
        greeting: String? = nil
    ) {
        self.greeting = greeting
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
        state.message = greeting
        var shown = host.latestSnapshot()
        var drawnGeneration: UInt64?
        var focused: String?
        var logsShown: Bool?
        var dirty = true
        var drawnAt: ContinuousClock.Instant?
        let wake = terminal.waker
        messages.wake = wake
        reports.wake = wake
        let waits = host.wakesOnChange
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
            // New data waits until `refreshMs` has passed since the last frame when the host wakes
            // the screen (a busy engine publishes four times a second); keys are drawn at once.
            let news = drawnGeneration != shown.generation
            let sinceDrawn = drawnAt.map { Int((ContinuousClock.now - $0).milliseconds) } ?? Int.max
            var timeout = waits ? -1 : refreshMs
            if dirty || (news && (!waits || sinceDrawn >= refreshMs)) {
                if news { ringForNewCriticalAlerts(shown) }
                state.nodeNotes = host.nodeNotes()
                terminal.draw(DashboardView.render(snapshot: shown, state: state, theme: themes[themeIndex], logs: host.logs))
                drawnGeneration = shown.generation
                drawnAt = .now
                dirty = false
            } else if news {
                timeout = refreshMs - sinceDrawn
            }
            let key: Key
            switch terminal.nextEvent(timeoutMs: timeout) {
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
    private let waker = Mutex<(@Sendable () -> Void)?>(nil)

    /// Called after each `append`: ends the screen's wait so the item is shown at once.
    var wake: (@Sendable () -> Void)? {
        get { waker.withLock { $0 } }
        set { waker.withLock { $0 = newValue } }
    }

    func append(_ item: Item) {
        queue.withLock { $0.append(item) }
        wake?()
    }

    func drain() -> [Item] { queue.withLock { queue in defer { queue.removeAll() }; return queue } }
}
