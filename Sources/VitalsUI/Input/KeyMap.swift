/// Turns keys into actions, depending on what is on screen (a menu, the filter prompt, or the
/// dashboard). Keys are values in, actions are values out: nothing here performs anything.
public enum KeyMap {
    public static func action(for key: Key, in state: AppState) -> Action? {
        if case .resize(let size) = key { return .resize(size) }
        if case .mouse(let button, let x, let y) = key {
            // The wheel scrolls whatever is under it (menu, node view, list); clicks select.
            switch button {
            case .wheelUp: return state.isEditingFilter || state.overlay == .help ? nil : .moveUp
            case .wheelDown: return state.isEditingFilter || state.overlay == .help ? nil : .moveDown
            case .click: return .click(x: x, y: y, open: false)
            case .doubleClick: return .click(x: x, y: y, open: true)
            }
        }
        if case .control("c") = key { return .quit }
        if state.isEditingFilter { return filterAction(key) }
        if state.prompt != nil { return promptAction(key) }
        if case .faultMenu = state.overlay { return menuAction(key, state: state) }
        // An overlay says any key closes it: `q` and `esc` too (Ctrl-C still quits).
        if state.overlay == .help { return .toggleHelp }
        if case .report = state.overlay { return .back }
        if state.pane == .logs, state.detail == nil, let action = logsAction(key) { return action }
        if state.detail != nil, key == .character("L") { return .showNodeLogs }
        switch key {
        case .character("q"): return .quit
        case .character("?"), .character("h"): return .toggleHelp
        case .escape, .backspace, .left: return .back
        case .up, .character("k"): return .moveUp
        case .down, .character("j"): return .moveDown
        case .pageUp, .control("b"), .control("u"): return .pageUp
        case .pageDown, .control("f"), .control("d"), .character(" "): return .pageDown
        case .home, .character("g"): return .top
        case .end, .character("G"): return .bottom
        case .enter, .right, .character("l"): return .open
        case .tab: return .nextPane
        case .backTab: return .previousPane
        case .character("1"): return .showPane(.services)
        case .character("2"): return .showPane(.nodes)
        case .character("3"): return .showPane(.locks)
        case .character("4"): return .showPane(.alerts)
        case .character("5"): return .showPane(.logs)
        case .character("a") where state.pane == .alerts && state.detail == nil: return .acknowledge
        case .character("s") where state.pane == .alerts && state.detail == nil: return .silence
        case .character("u") where state.pane == .alerts && state.detail == nil: return .unacknowledge
        case .character("x") where state.pane == .alerts && state.detail == nil: return .expireSilence
        case .character("v") where state.pane == .alerts && state.detail == nil: return .cycleAlertView
        case .character("m") where state.detail != nil || state.pane == .services || state.pane == .nodes: return .toggleMaintenance
        case .character("f"): return .openFaultMenu
        case .character("r"): return .reload
        case .character("/"): return .startFilter
        case .character("t"): return .cycleTheme
        case .character("p"): return .togglePause
        case .character("o"): return .toggleWorstFirst
        default: return nil
        }
    }

    /// Keys of the Logs pane that mean something else elsewhere.
    private static func logsAction(_ key: Key) -> Action? {
        switch key {
        case .character("/"): .startLogSearch
        case .character("n"): .nextMatch
        case .character("N"): .previousMatch
        case .character("e"): .cycleLogLevel
        case .character("o"): .toggleNodeFilter
        case .character("s"): .toggleServiceFilter
        case .character("c"): .clearLogFilters
        case .character("w"): .toggleWrap
        case .character("F"): .followLogs
        case .left, .character("<"): .scrollLeft
        case .right, .character(">"): .scrollRight
        default: nil
        }
    }

    private static func filterAction(_ key: Key) -> Action? {
        switch key {
        case .enter, .tab: .filterCommit
        case .escape: .filterCancel
        case .backspace: .filterBackspace
        case .character(let c): .filterInput(c)
        default: nil
        }
    }

    private static func promptAction(_ key: Key) -> Action? {
        switch key {
        case .enter: .promptCommit
        case .escape: .promptCancel
        case .backspace: .promptBackspace
        case .character(let c): .promptInput(c)
        default: nil
        }
    }

    private static func menuAction(_ key: Key, state: AppState) -> Action? {
        switch key {
        case .escape, .character("q"), .left: return .back
        case .up, .character("k"): return .moveUp
        case .down, .character("j"): return .moveDown
        case .enter: return .open
        case .character(let c):
            if let digit = c.wholeNumberValue, (1...state.faultMenuItems.count).contains(digit) { return .chooseMenuItem(digit - 1) }
            if let index = state.faultMenuItems.firstIndex(where: { $0.name.first == c }) { return .chooseMenuItem(index) }
            return nil
        default: return nil
        }
    }

    /// The keys the help screen lists, grouped.
    public static let help: [(section: String, keys: [(String, String)])] = [
        ("Move", [("↑ ↓  j k", "select a row"), ("PgUp PgDn  space", "a page at a time"), ("g G  Home End", "first / last row"),
                  ("tab  1–5", "Services Nodes Locks Alerts Logs, or click"), ("enter  →  l", "open the node (or double-click)"), ("esc  ←  backspace", "back")]),
        ("Alerts (pane 4; enter unfolds)", [("a  s", "ack · silence (2h), each with a comment"),
                                            ("u  x  v", "un-ack · end silence · history/silences")]),
        ("Logs (pane 5; L in a node's view)", [("/  n N", "search (text or /regex/) · next · previous"),
                                              ("e  o  s  c", "level · only this node · only this service · clear"),
                                              ("F  G  w  ← →", "follow · newest · wrap · scroll sideways")]),
        ("Act", [("m  r", "maintenance on/off · reload the cluster file"), ("f", "inject a fault (simulated nodes)"), ("/", "filter rows; enter keeps it, esc clears"),
                 ("o  p  t", "worst first · pause updates · next theme"), ("q  Ctrl-C", "quit")]),
    ]
}
