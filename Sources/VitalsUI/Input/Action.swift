/// What a key asks for, independent of which key it was.
public enum Action: Sendable, Equatable {
    case quit
    case toggleHelp
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
}

/// The list panes, in tab order.
public enum Pane: String, Sendable, CaseIterable {
    case services = "Services"
    case nodes = "Nodes"
}
