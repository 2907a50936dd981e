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
}
