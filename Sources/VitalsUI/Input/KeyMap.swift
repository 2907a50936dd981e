/// A key (or a few) of the dashboard: what it does, where it works, and how the help lists it.
/// The key map is this table, and the help screen is drawn from it, so the two cannot disagree.
public struct KeyBinding: Sendable {
    public enum Section: String, Sendable, CaseIterable {
        case move = "Move"
        case lists = "Lists"
        case alerts = "Alerts (pane 4; enter unfolds)"
        case logs = "Logs (pane 5; L in a node's view)"
        case act = "Act"
    }

    /// Where a binding works.
    public enum Scope: Sendable {
        case everywhere
        /// One pane's list (not the node view).
        case pane(Pane)
        /// The Logs pane (not the node view).
        case logs
        /// A node's view.
        case detail
        /// The panes whose rows can be sorted: Services, Nodes, Locks, Alerts.
        case sortable
        /// Services, Nodes and a node's view, where maintenance applies.
        case maintainable

        func applies(to state: AppState) -> Bool {
            switch self {
            case .everywhere: true
            case .pane(let pane): state.detail == nil && state.pane == pane
            case .logs: state.detail == nil && state.pane == .logs
            case .detail: state.detail != nil
            case .sortable: state.detail == nil && state.pane != .logs && state.pane != .capacity
            case .maintainable: state.detail != nil || state.pane == .services || state.pane == .nodes
            }
        }
    }

    public var label: String
    public var what: String
    public var section: Section
    public var scope: Scope
    /// Each key with the action it takes (`↑ ↓` is one entry of two actions).
    public var keys: [(keys: [Key], action: Action)]

    init(_ label: String, _ what: String, _ section: Section, _ scope: Scope = .everywhere, pairs keys: [(keys: [Key], action: Action)]) {
        self.label = label
        self.what = what
        self.section = section
        self.scope = scope
        self.keys = keys
    }

    init(_ label: String, _ what: String, _ section: Section, _ scope: Scope = .everywhere, keys: [Key], _ action: Action) {
        self.init(label, what, section, scope, pairs: [(keys, action)])
    }
}

/// Turns keys into actions, depending on what is on screen (a menu, a prompt, the command line,
/// or the dashboard). Keys are values in, actions are values out: nothing here performs anything.
public enum KeyMap {
    private static func c(_ characters: String) -> [Key] { characters.map { Key.character($0) } }

    /// The dashboard's keys, in the order the help lists them. Earlier entries win, so the
    /// Logs pane's own keys come before the general ones they shadow there.
    public static let bindings: [KeyBinding] = [
        KeyBinding("↑ ↓  j k", "select a row (the wheel too)", .move, pairs: [([.up] + c("k"), .moveUp), ([.down] + c("j"), .moveDown)]),
        KeyBinding("PgUp PgDn  space", "a page at a time (Ctrl-B Ctrl-F)", .move,
                   pairs: [([.pageUp, .control("b"), .control("u")], .pageUp), ([.pageDown, .control("f"), .control("d")] + c(" "), .pageDown)]),
        KeyBinding("g G  Home End", "first / last row", .move, pairs: [([.home] + c("g"), .top), ([.end] + c("G"), .bottom)]),
        KeyBinding("tab  1–6", "Services Nodes Locks Alerts Logs Capacity", .move,
                   pairs: [([.tab], .nextPane), ([.backTab], .previousPane)] + Pane.allCases.map { (c(String($0.key)), Action.showPane($0)) }),
        KeyBinding("0", "overview (160×48 and up) or Services alone", .move, keys: c("0"), .toggleOverview),
        KeyBinding("enter  →  l", "open the node (or double-click)", .move, keys: [.enter, .right] + c("l"), .open),
        KeyBinding("esc  ←  backspace", "back", .move, keys: [.escape, .backspace, .left], .back),
        KeyBinding("L", "the node's logs (esc comes back)", .move, .detail, keys: c("L"), .showNodeLogs),
        // The Logs pane: these shadow the list keys below while it is shown.
        KeyBinding("/  n N", "search (text or /regex/) · next · previous", .logs, .logs,
                   pairs: [(c("/"), .startLogSearch), (c("n"), .nextMatch), (c("N"), .previousMatch)]),
        KeyBinding("e  o  s  c", "level · only this node · only this service · clear", .logs, .logs,
                   pairs: [(c("e"), .cycleLogLevel), (c("o"), .toggleNodeFilter), (c("s"), .toggleServiceFilter), (c("c"), .clearLogFilters)]),
        KeyBinding("F  w  ← →  < >", "follow · wrap · scroll sideways", .logs, .logs,
                   pairs: [(c("F"), .followLogs), (c("w"), .toggleWrap), ([.left] + c("<"), .scrollLeft), ([.right] + c(">"), .scrollRight)]),
        KeyBinding("/", "filter rows: a regex; !text hides what matches", .lists, keys: c("/"), .startFilter),
        KeyBinding("< >  I", "sort by the previous / next column · reverse it", .lists, .sortable,
                   pairs: [(c("<"), .sortPreviousColumn), (c(">"), .sortNextColumn), (c("I"), .invertSort)]),
        KeyBinding("o", "worst first / file order", .lists, keys: c("o"), .toggleWorstFirst),
        KeyBinding("a  s", "acknowledge · silence (each asks a comment)", .alerts, .pane(.alerts),
                   pairs: [(c("a"), .acknowledge), (c("s"), .silence)]),
        KeyBinding("u  x  v", "un-ack · end silence · active/history/silences", .alerts, .pane(.alerts),
                   pairs: [(c("u"), .unacknowledge), (c("x"), .expireSilence), (c("v"), .cycleAlertView)]),
        KeyBinding(":", "command: :node cart-1 :sort cpu :theme :q (tab)", .act, keys: c(":"), .startCommand),
        KeyBinding("m", "maintenance on / off, with a reason", .act, .maintainable, keys: c("m"), .toggleMaintenance),
        KeyBinding("S", "scale the service to the advice (asks first)", .act, .pane(.capacity), keys: c("S"), .scale),
        KeyBinding("f", "inject a fault (simulated nodes)", .act, keys: c("f"), .openFaultMenu),
        KeyBinding("r", "reload the cluster file", .act, keys: c("r"), .reload),
        KeyBinding("p  t", "pause updates · next theme", .act, pairs: [(c("p"), .togglePause), (c("t"), .cycleTheme)]),
        KeyBinding("?  h", "this help", .act, keys: c("?h"), .toggleHelp),
        KeyBinding("q  Ctrl-C", "quit", .act, pairs: [(c("q"), .quit), ([.control("c")], .quit)]),
    ]

    public static func action(for key: Key, in state: AppState) -> Action? {
        if case .resize(let size) = key { return .resize(size) }
        if case .mouse(let button, let x, let y) = key {
            // The wheel scrolls whatever is under it (menu, node view, list); clicks select.
            let typing = state.isEditingFilter || state.command != nil || state.overlay == .help
            switch button {
            case .wheelUp: return typing ? nil : .moveUp
            case .wheelDown: return typing ? nil : .moveDown
            case .click: return .click(x: x, y: y, open: false)
            case .doubleClick: return .click(x: x, y: y, open: true)
            }
        }
        if case .control("c") = key { return .quit }
        if state.command != nil { return commandAction(key) }
        if state.isEditingFilter { return filterAction(key) }
        if state.prompt != nil { return promptAction(key) }
        if case .faultMenu = state.overlay { return menuAction(key, state: state) }
        // The help scrolls with the moving keys; any other key closes it: `q` and `esc` too
        // (Ctrl-C still quits).
        if state.overlay == .help {
            switch key {
            case .up, .character("k"), .pageUp: return .moveUp
            case .down, .character("j"), .pageDown, .character(" "): return .moveDown
            default: return .toggleHelp
            }
        }
        if case .report = state.overlay { return .back }
        for binding in bindings where binding.scope.applies(to: state) {
            if let pair = binding.keys.first(where: { $0.keys.contains(key) }) { return pair.action }
        }
        return nil
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

    private static func commandAction(_ key: Key) -> Action? {
        switch key {
        case .enter: .commandCommit
        case .escape: .commandCancel
        case .backspace: .commandBackspace
        case .tab: .commandComplete
        case .character(let c): .commandInput(c)
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

    /// The keys the help screen lists, by section, from the bindings above.
    public static var help: [(section: String, keys: [(String, String)])] {
        KeyBinding.Section.allCases.compactMap { section in
            let keys = bindings.filter { $0.section == section }.map { ($0.label, $0.what) }
            return keys.isEmpty ? nil : (section.rawValue, keys)
        }
    }
}
