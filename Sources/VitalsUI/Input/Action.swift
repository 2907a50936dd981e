/// What a key asks for, independent of which key it was.
public enum Action: Sendable, Equatable {
    case quit
    case toggleHelp
    /// Read the cluster file again and run what it says (`r`).
    case reload
    case back
    case moveUp, moveDown, pageUp, pageDown, top, bottom
    case open
    case showPane(Pane)
    case nextPane, previousPane
    case openFaultMenu
    case chooseMenuItem(Int)
    case startFilter
    case filterInput(Character)
    case filterBackspace
    case filterCommit
    case filterCancel
    case cycleTheme
    case togglePause
    case toggleWorstFirst
    /// Alerts pane: ask for a comment and acknowledge the selected alert or group.
    case acknowledge
    /// Alerts pane: ask for a duration (and a comment) and silence the selected alert or group.
    case silence
    /// Alerts pane: remove the acknowledgement of the selected alert or group.
    case unacknowledge
    /// Alerts pane: end the selected silence (in the silences view) or the silences muting the selection.
    case expireSilence
    /// Alerts pane: cycle the view (active, history, silences).
    case cycleAlertView
    /// Logs pane: ask what to search for.
    case startLogSearch
    /// Logs pane: the next / previous line matching the search.
    case nextMatch, previousMatch
    /// Logs pane: all levels → warnings and worse → errors and worse.
    case cycleLogLevel
    /// Logs pane: only the selected line's node / service, or every one again.
    case toggleNodeFilter, toggleServiceFilter
    case clearLogFilters
    case toggleWrap
    case scrollLeft, scrollRight
    /// Logs pane: follow new lines again.
    case followLogs
    /// Node view: the Logs pane, showing only this node.
    case showNodeLogs
    /// Services, Nodes, node view: ask for a reason and put the selection in maintenance, or end it.
    case toggleMaintenance
    /// `S` in Capacity: apply the selected service's advice (asks first).
    case scale
    /// Wide terminals: the overview in place of the Services pane, or Services alone.
    case toggleOverview
    /// Lists: sort by the column left / right of the current one (none: file order), or the other way.
    case sortPreviousColumn, sortNextColumn, invertSort
    /// `:` opens the command line; tab completes the word being typed.
    case startCommand
    case commandInput(Character)
    case commandBackspace
    case commandComplete
    case commandCommit
    case commandCancel
    case promptInput(Character)
    case promptBackspace
    case promptCommit
    case promptCancel
    /// A click (or double click, which also opens) on the cell at x, y.
    case click(x: Int, y: Int, open: Bool)
    case resize(Size)
}

/// What the run loop must do after the state took an action: the only way the UI reaches
/// outside itself.
public enum Effect: Sendable, Equatable {
    case quit
    /// Run fault-menu item `item` (a fault name, or "heal") against `node`.
    case injectFault(node: String, item: String)
    case cycleTheme
    /// Use the theme of this name (`:theme NAME`).
    case setTheme(String)
    /// Read the cluster file again; keep the running config when it has errors.
    case reload
    /// Ask the engine to act on alerts.
    case alert(AlertCommand)
}

/// What a person asks the engine to do about alerts (and maintenance, which masks them).
public enum AlertCommand: Sendable, Equatable {
    case beginMaintenance(node: String, service: String?, reason: String, duration: Duration?)
    case endMaintenance(node: String, service: String?)
    case acknowledge(ids: [String], comment: String)
    case unacknowledge(ids: [String])
    case silence(matchers: [String: String], duration: Duration, comment: String)
    case expireSilence(id: String)
    /// Bring `service` to `replicas` (its scale_command, or the demo's simulator).
    case scale(service: String, replicas: Int)
}

/// The panes, in tab order, each with the digit that shows it.
public enum Pane: String, Sendable, CaseIterable {
    case services = "Services"
    case nodes = "Nodes"
    case locks = "Locks"
    case alerts = "Alerts"
    case logs = "Logs"
    case capacity = "Capacity"

    /// The tabs shown: Capacity only when the file has a scaling policy (its key works always).
    public static func shown(capacity: Bool) -> [Pane] { capacity ? allCases : allCases.filter { $0 != .capacity } }

    public var key: Int {
        switch self {
        case .services: 1
        case .nodes: 2
        case .locks: 3
        case .alerts: 4
        case .logs: 5
        case .capacity: 6
        }
    }
}
