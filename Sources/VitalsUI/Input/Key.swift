/// A key press, decoded by the terminal backend.
public enum Key: Sendable, Equatable {
    case character(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace
    /// The terminal changed size.
    case resize(Size)
    /// Ctrl plus a letter, lowercased (`.control("c")` for Ctrl-C).
    case control(Character)
    /// A mouse event at a cell.
    case mouse(MouseButton, x: Int, y: Int)
}

/// What the mouse did.
public enum MouseButton: Sendable, Equatable {
    case click, doubleClick, wheelUp, wheelDown
}
